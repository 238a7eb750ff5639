"""Chat pages: the side-by-side chat, its conversation history, and the JSON/SSE calls of static/js/chat.js.

Every route needs a signed-in user and sees only that user's conversations (a foreign id answers 404). The JSON
calls carry the CSRF token in an ``X-CSRFToken`` header.
"""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.api.errors import error_response
from app.auth.forms import EmptyForm
from app.chat import bp
from app.chat.forms import ArenaForm, RenameForm, VoteForm
from app.extensions import db
from app.models.chat import MAX_SLOTS
from app.services import chat, chat_fanout, chat_json, chat_turns, conversations, endpoints
from app.services.arena import battles
from app.services.conversations import ChatInvalid

SIDEBAR_SIZE = 30


def _invalid(exc: ChatInvalid):
    return error_response(exc.status, "conflict" if exc.status == 409 else "invalid",
                          "; ".join(exc.errors.values()), exc.errors)


def _page(conversation=None, slots=None):
    """The chat page: sidebar of conversations, slot settings, transcript, message box."""
    sidebar = db.paginate(conversations.owned_query(current_user), page=request.args.get("page", 1, type=int),
                          per_page=SIDEBAR_SIZE, error_out=False)
    models = list(db.session.scalars(endpoints.live_query(current_user)))
    arena = conversation is not None and conversation.arena
    if conversation is not None:
        slots = [chat_json.slot_json(s, conversation.blind) for s in conversation.slots]
    return render_template(
        "chat/chat.html", conversation=conversation, sidebar=sidebar, models=models, slots=slots,
        turns=chat_json.turns(conversation) if conversation is not None else [],
        rename_form=RenameForm(title=conversation.title) if conversation is not None else None,
        live_ids={m.id for m in models}, max_slots=MAX_SLOTS, arena=arena,
        blind=arena and conversation.blind, vote_form=VoteForm() if arena else None,
        vote=conversation.preferences[-1] if arena and conversation.preferences else None)


@bp.route("/")
@login_required
def index():
    """The newest conversation, or a new chat when there is none."""
    newest = db.session.scalar(conversations.owned_query(current_user).limit(1))
    if newest is None:
        return redirect(url_for("chat.new"))
    return redirect(url_for("chat.view", conversation_id=newest.id))


@bp.route("/new")
@login_required
def new():
    """A new chat; each ``model=<id>`` (repeatable, as the model list's "Start chat" sends) fills the next slot."""
    wanted = request.args.getlist("model", type=int)[:MAX_SLOTS]
    picked = [conversations.usable_endpoint(current_user, model_id) for model_id in wanted]
    slots = [{"slot": i + 1, "model_id": m.id, "system_prompt": "", "temperature": None, "max_tokens": None}
             for i, m in enumerate(m for m in picked if m is not None)]
    return _page(slots=slots or [{"slot": 1, "model_id": None, "system_prompt": "", "temperature": None,
                                  "max_tokens": None}])


@bp.route("/arena", methods=["GET", "POST"])
@login_required
def arena():
    """Start a blind battle: the models picked, the rest drawn at random from the ones the user may use."""
    form = ArenaForm()
    models = list(db.session.scalars(endpoints.live_query(current_user)))
    form.models.choices = [SelectChoice(m.id, m.name) for m in models]
    problem = None
    if form.validate_on_submit():
        try:
            conversation = battles.start(current_user, form.models.data or [], int(form.count.data))
        except ChatInvalid as exc:
            problem = "; ".join(exc.errors.values())
        else:
            return redirect(url_for("chat.view", conversation_id=conversation.id))
    status = 422 if problem or form.errors else 200
    return render_template("chat/arena.html", form=form, models=models, problem=problem), status


@bp.route("/<int:conversation_id>")
@login_required
def view(conversation_id: int):
    return _page(conversations.get_owned(current_user, conversation_id))


@bp.route("/conversations", methods=["POST"])
@login_required
def create():
    """JSON ``{"slots": [...]}``: a new conversation, before its first message is sent."""
    body = request.get_json(silent=True) or {}
    try:
        conversation = conversations.create(current_user, body.get("slots"))
    except ChatInvalid as exc:
        return _invalid(exc)
    return jsonify({"id": conversation.id, "url": url_for("chat.view", conversation_id=conversation.id),
                    "conversation": chat_json.conversation_json(conversation, full=False)}), 201


@bp.route("/<int:conversation_id>/messages", methods=["POST"])
@login_required
def send(conversation_id: int):
    """JSON ``{"content", "slots"?}`` (slots: the current settings of each slot): the SSE stream of the answers."""
    body = request.get_json(silent=True) or {}
    try:
        if "slots" in body:
            conversations.update_slots(conversations.get_owned(current_user, conversation_id), current_user,
                                       body["slots"])
        turn = chat_turns.prepare(current_user, conversation_id, body.get("content"))
    except ChatInvalid as exc:
        return _invalid(exc)
    return chat.response(turn)


@bp.route("/<int:conversation_id>/slots/<int:slot>/regenerate", methods=["POST"])
@login_required
def regenerate(conversation_id: int, slot: int):
    """The SSE stream of a new answer of ``slot`` to the last message (it replaces the old answer)."""
    try:
        turn = chat_turns.prepare_regenerate(current_user, conversation_id, slot)
    except ChatInvalid as exc:
        return _invalid(exc)
    return chat.response(turn)


@bp.route("/<int:conversation_id>/stop", methods=["POST"])
@login_required
def stop(conversation_id: int):
    """Stop every answer of the conversation still streaming; they are saved as ``stopped``."""
    conversations.get_owned(current_user, conversation_id)
    chat_fanout.request_stop(conversation_id)
    return jsonify({"stopping": True})


@bp.route("/<int:conversation_id>/preference", methods=["POST"])
@login_required
def preference(conversation_id: int):
    """JSON ``{"turn", "choice"}``: which answer of a turn is better (A, B, C or tie)."""
    conversation = conversations.get_owned(current_user, conversation_id)
    body = request.get_json(silent=True) or {}
    try:
        pref = conversations.set_preference(conversation, body.get("turn"), body.get("choice"), body.get("reason"))
    except ChatInvalid as exc:
        return _invalid(exc)
    return jsonify(chat_json.vote_json(conversation, pref))


@bp.route("/<int:conversation_id>/vote", methods=["POST"])
@login_required
def vote(conversation_id: int):
    """The form vote of an arena battle (last turn): final, and the models are revealed."""
    conversation = conversations.get_owned(current_user, conversation_id)
    form = VoteForm()
    if form.validate_on_submit():
        try:
            conversations.set_preference(conversation, None, form.choice.data, form.reason.data)
            flash(_("Vote recorded: here are the models."), "success")
        except ChatInvalid as exc:
            flash("; ".join(exc.errors.values()), "error")
    else:
        flash("; ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("chat.view", conversation_id=conversation_id, _anchor="arena-vote"))


@bp.route("/<int:conversation_id>/rename", methods=["POST"])
@login_required
def rename(conversation_id: int):
    conversation = conversations.get_owned(current_user, conversation_id)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            conversations.rename(conversation, form.title.data)
            flash(_("Conversation renamed."), "success")
        except ChatInvalid as exc:
            flash("; ".join(exc.errors.values()), "error")
    else:
        flash(_("A title of at most 200 characters is required."), "error")
    return redirect(url_for("chat.view", conversation_id=conversation_id))


@bp.route("/<int:conversation_id>/delete", methods=["POST"])
@login_required
def delete(conversation_id: int):
    conversation = conversations.get_owned(current_user, conversation_id)
    if EmptyForm().validate_on_submit():
        conversations.delete(conversation, current_user)
        flash(_("Conversation deleted."), "success")
        return redirect(url_for("chat.index"))
    return redirect(url_for("chat.view", conversation_id=conversation_id))
