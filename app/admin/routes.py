"""User administration and the audit log."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.admin import bp
from app.admin.forms import CreateUserForm, SettingsForm
from app.auth.forms import EmptyForm
from app.auth.session import admin_required
from app.database import get_or_404
from app.extensions import db
from app.models import AuditEvent, User
from app.services import accounts, audit, runs, scheduler, settings
from app.services.runs import board


def _render_users(form=None, new_password=None, status=200):
    page = db.paginate(sa.select(User).order_by(User.username), per_page=current_app.config["PER_PAGE"])
    return render_template("admin/users.html", page=page, form=form or CreateUserForm(),
                           new_password=new_password), status


@bp.route("/users")
@admin_required
def users():
    return _render_users()


@bp.route("/users", methods=["POST"])
@admin_required
def create_user():
    form = CreateUserForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.username.data, form.password.data, form.role.data, actor=current_user)
        except accounts.AccountError as exc:
            field = exc.field if exc.field in ("username", "role") else "password"
            getattr(form, field).errors.append(str(exc))
        else:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return _render_users(form=form, status=400)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@admin_required
def set_active(user_id: int):
    user = get_or_404(sa.select(User).where(User.id == user_id))
    if EmptyForm().validate_on_submit():
        active = request.form.get("active") == "1"
        try:
            accounts.set_active(user, active, current_user)
        except accounts.AccountError as exc:
            flash(str(exc), "error")
        else:
            flash(_("%(name)s is now active.", name=user.username) if active
                  else _("%(name)s is deactivated.", name=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
@admin_required
def reset_password(user_id: int):
    user = get_or_404(sa.select(User).where(User.id == user_id))
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("admin.users"))
    password = accounts.reset_password(user, current_user)
    flash(_("New password for %(name)s set. Their sessions are signed out and their API tokens revoked. "
            "Give it to them now: it is shown only once.", name=user.username), "success")
    return _render_users(new_password=(user.username, password))


@bp.route("/audit")
@admin_required
def audit_log():
    action = request.args.get("action", "").strip()
    query = sa.select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    page = db.paginate(query, per_page=50)
    actions = db.session.scalars(sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return render_template("admin/audit.html", page=page, action=action, actions=actions,
                           objects=audit.objects(page.items, current_user))


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings_page():
    form = SettingsForm()
    if form.validate_on_submit():
        settings.put(settings.ALLOW_PRIVATE_URLS, bool(form.allow_private_urls.data), current_user)
        flash(_("Settings saved."), "success")
        return redirect(url_for("admin.settings_page"))
    form.allow_private_urls.data = settings.allow_private_urls()
    return render_template("admin/settings.html", form=form)


@bp.route("/runs")
@admin_required
def runs_page():
    """Every waiting and running run of every user, and what each model's capacity is doing."""
    return render_template("admin/runs.html", active=board.active(), capacity=scheduler.all_views())


@bp.route("/runs/<kind>/<int:run_id>/cancel", methods=["POST"])
@admin_required
def cancel_run(kind: str, run_id: int):
    """Cancel any user's evaluation or benchmark (audited under the admin's name)."""
    run = board.get_or_404(kind, run_id)
    if EmptyForm().validate_on_submit():
        state = runs.cancel(run, current_user)
        flash(_("Run %(ref)s: %(state)s.", ref=f"{kind}-{run.id}", state=state), "info")
    return redirect(url_for("admin.runs_page"))
