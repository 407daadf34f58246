"""Admin pages: upload a product model, MES clients and their tokens, users and roles."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePosixPath

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from c2m import auth, catalogue, downtime, planning
from c2m.db import session_factory, unit_of_work
from c2m.errors import C2mError, InvalidInput
from c2m.models import ApiClient, User
from c2m.planning import factory_of
from configurator.errors import ModelError
from configurator.session import Configurator
from routing.engineer import load_engineering
from routing.factory import Factory

blueprint = Blueprint("admin", __name__, url_prefix="/admin")
admin_only = auth.role_required("admin")
PRODUCT_FILES = ("model.yaml", "bom.yaml", "routing.yaml", "configurations.yaml")
SHARED_FILES = ("items.yaml", "factory.yaml")
MAX_FILE_BYTES = 2_000_000


def _page(status: int = 200, **extra: object) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        context = {
            "clients": session.scalars(select(ApiClient).order_by(ApiClient.name)).all(),
            "users": session.scalars(select(User).order_by(User.username)).all(),
            "products": catalogue.latest_products(session),
            "roles": auth.ROLES,
            "scopes": auth.SCOPES,
            "default_scopes": auth.MES_SCOPES,  # planner rights only when asked for
            "factory": _factory(),
            "downtimes": downtime.listed(session),
        }
        return render_template("admin/admin.html", **context, **extra), status


def _factory() -> Factory | None:
    """Machines and calendars come from factory.yaml (versioned with the products)."""
    settings = current_app.extensions["c2m.settings"]
    try:
        return factory_of(Path(settings.products_dir))
    except (OSError, ModelError):
        return None


@blueprint.get("")
@admin_only
def admin_page() -> ResponseReturnValue:
    return _page()


def uploads_root() -> Path:
    """Uploaded models live beside links to the shared items and factory files they need."""
    settings = current_app.extensions["c2m.settings"]
    root = Path(settings.instance_dir) / "products"
    root.mkdir(parents=True, exist_ok=True)
    for name in SHARED_FILES:
        link = root / name
        if not link.exists():
            link.symlink_to(Path(settings.products_dir).resolve() / name)
    return root


def _save(files: list[FileStorage], folder: Path) -> None:
    for upload in files:
        name = PurePosixPath(upload.filename or "").name
        if name not in PRODUCT_FILES:
            raise InvalidInput(
                f"{upload.filename}: unexpected file; a product folder holds "
                f"{', '.join(PRODUCT_FILES)}",
                "files",
            )
        data = upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InvalidInput(f"{name}: larger than {MAX_FILE_BYTES} bytes", name)
        (folder / name).write_bytes(data)
    if not (folder / "model.yaml").exists():
        raise InvalidInput("model.yaml: missing; upload the whole product folder", "files")


def _validate(folder: Path, root: Path) -> tuple[str, str]:
    """Everything that can be checked: model, rules (a valid product exists), BOM, routing."""
    engineering = load_engineering(folder, root)
    Configurator(engineering.product).check_model()
    return engineering.product.name, engineering.product.version


def _inside(root: Path, name: str) -> Path:
    """`root/name`, refused unless it is a direct child of root. The loader already accepts
    only identifier-like names and versions; this is the second lock on a folder that gets
    deleted, should a later loader (an importer, a new format) let a path through."""
    target = (root / name).resolve()
    if target.parent != root.resolve() or target.name != name:
        raise InvalidInput(f"version: {name!r} does not name a folder for uploads", "version")
    return target


@blueprint.post("/products")
@admin_only
def upload_product() -> ResponseReturnValue:
    """Nothing is stored unless every file is valid; errors read `file:line: message`."""
    root = uploads_root()
    staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=root))
    try:
        _save(request.files.getlist("files"), staging)
        model, version = _validate(staging, root)
        target = _inside(root, f"{model}-{version}")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
        with unit_of_work(session_factory()) as session:
            loaded = catalogue.load_product(session, target)
    except (ModelError, InvalidInput, catalogue.ModelVersionConflict) as error:
        return _page(422, upload_errors=[str(error).replace(f"{staging}/", "")])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _page(200, uploaded=loaded)


@blueprint.post("/clients")
@admin_only
def issue_client() -> ResponseReturnValue:
    name = request.form.get("name", "").strip()
    scopes = tuple(request.form.getlist("scopes"))
    if not name:
        raise InvalidInput("give the MES client a name", "name")
    try:
        with unit_of_work(session_factory()) as session:
            token = auth.issue_client_token(session, name, scopes)
    except C2mError as error:
        return _page(error.http_status, client_error=str(error))
    return _page(201, new_token=token, new_client=name)


@blueprint.post("/clients/<name>/revoke")
@admin_only
def revoke_client(name: str) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        auth.revoke_client(session, name)
    return redirect(url_for("admin.admin_page"), code=303)


@blueprint.post("/users")
@admin_only
def create_user() -> ResponseReturnValue:
    try:
        with unit_of_work(session_factory()) as session:
            auth.create_user(
                session,
                request.form.get("username", "").strip(),
                request.form.get("password", ""),
                request.form.get("role", ""),
            )
    except C2mError as error:
        return _page(error.http_status, user_error=str(error))
    return redirect(url_for("admin.admin_page"), code=303)


@blueprint.post("/downtime")
@admin_only
def add_downtime() -> ResponseReturnValue:
    """Planned downtime of a machine (times in the factory's zone); a re-plan follows."""
    factory = _factory()
    if factory is None:
        return _page(422, downtime_error="factory.yaml could not be read")
    form = request.form
    try:
        with unit_of_work(session_factory()) as session:
            downtime.add(
                session,
                factory,
                form.get("machine", ""),
                downtime.local_time(form.get("from", ""), factory.zone, "from"),
                downtime.local_time(form.get("until", ""), factory.zone, "until"),
                form.get("reason", ""),
            )
    except C2mError as error:
        return _page(error.http_status, downtime_error=str(error))
    _enqueue_queued_runs()
    return redirect(url_for("admin.admin_page"), code=303)


@blueprint.post("/downtime/<id:downtime_id>/delete")
@admin_only
def delete_downtime(downtime_id: int) -> ResponseReturnValue:
    with unit_of_work(session_factory()) as session:
        downtime.remove(session, downtime_id)
    _enqueue_queued_runs()
    return redirect(url_for("admin.admin_page"), code=303)


def _enqueue_queued_runs() -> None:
    from c2m.web.api import enqueue_plan

    for run_id in planning.queued_runs(session_factory()):
        enqueue_plan(run_id)
