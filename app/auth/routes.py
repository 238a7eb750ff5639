"""Sign-in, sign-out, profile (password, API tokens), language."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import ChangePasswordForm, EmptyForm, LoginForm, TokenForm
from app.extensions import db
from app.services import accounts, tokens
from app.urls import safe_next


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = accounts.authenticate(form.username.data, form.password.data)
        if result.user is not None:
            login_user(result.user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")))
        flash(str(result.error), "error")
        status = 429 if result.retry_after else 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        accounts.sign_out(current_user)
        logout_user()
        flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET"])
@login_required
def profile():
    return _render_profile()


def _render_profile(password_form=None, token_form=None, new_token=None, status=200):
    return render_template(
        "auth/profile.html",
        password_form=password_form or ChangePasswordForm(prefix="pw"),
        token_form=token_form or TokenForm(prefix="tok"),
        tokens=tokens.user_tokens(current_user),
        new_token=new_token,
    ), status


@bp.route("/profile/password", methods=["POST"])
@login_required
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.old_password.data, form.new_password.data)
        except accounts.AccountError as exc:
            getattr(form, exc.field or "new_password").errors.append(str(exc))
        else:
            login_user(current_user._get_current_object())  # new nonce: keep this session signed in
            flash(_("Your password is changed. Other sessions are signed out and your API tokens are revoked."),
                  "success")
            return redirect(url_for("auth.profile"))
    return _render_profile(password_form=form, status=400)


@bp.route("/profile/tokens", methods=["POST"])
@login_required
def create_token():
    form = TokenForm(prefix="tok")
    if not form.validate_on_submit():
        return _render_profile(token_form=form, status=400)
    _token, value = tokens.create_token(current_user, form.name.data)
    flash(_("Token created. Copy it now: it will not be shown again."), "success")
    return _render_profile(new_token=value)


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    if EmptyForm().validate_on_submit():
        if tokens.revoke_token(current_user, token_id) is None:
            return render_template("errors/404.html"), 404
        flash(_("Token revoked."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if EmptyForm().validate_on_submit() and lang in current_app.config["LANGUAGES"]:
        session["locale"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")))
