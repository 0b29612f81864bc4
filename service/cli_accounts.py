"""`khlang users`, `khlang tokens` and `khlang serve`: accounts and the development server."""

from __future__ import annotations

import sys

import click

from service.cli_support import fail, open_core


def _known_province(name: str | None) -> str | None:
    """The gazetteer's name of a province ('จังหวัดลำพูน' -> 'ลำพูน'), or exit with a reason."""
    from indexer.thai.gazetteer import province_by_name

    if not name:
        return None
    known = province_by_name(name)
    if known is None:
        fail(f"ไม่รู้จักจังหวัด {name} (unknown province {name})")
    return known.name


def register(main: click.Group) -> None:

    @main.group()
    def users() -> None:
        """บัญชีผู้ใช้ (user accounts)."""

    @users.command("add")
    @click.argument("name")
    @click.option(
        "--role", required=True, type=click.Choice(["admin", "strategy", "dsss", "viewer"])
    )
    @click.option("--province", help="จังหวัดของเจ้าหน้าที่ DSSS (the dsss officer's province)")
    @click.option(
        "--if-missing",
        is_flag=True,
        help="ไม่แตะผู้ใช้ที่มีอยู่แล้ว (leave an existing user and its password as they are)",
    )
    @click.pass_context
    def users_add(ctx, name, role, province, if_missing):
        """เพิ่มหรือปรับผู้ใช้ (add or update a user); asks for the password, or reads it
        from standard input when that is not a terminal."""
        from sqlalchemy import select

        from indexer.core import default_agent
        from schemas.models import User
        from service.auth import add_user, check_role

        province = _known_province(province)
        try:
            check_role(role, province)  # before asking for a password
        except ValueError as exc:
            fail(str(exc))
        core = open_core(ctx)
        if if_missing:
            # `make demo` run again must not put back the demo password someone changed
            with core.sessions() as session:
                exists = session.scalar(select(User.id).where(User.name == name)) is not None
            if exists:
                click.echo(
                    f"ผู้ใช้ {name} มีอยู่แล้ว ไม่ได้เปลี่ยนรหัสผ่าน "
                    f"(user {name} exists; password left unchanged)"
                )
                return
        if sys.stdin.isatty():
            password = click.prompt("รหัสผ่าน (password)", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        if len(password) < 8:
            fail("รหัสผ่านต้องยาวอย่างน้อย 8 ตัวอักษร (password: at least 8 characters)")
        try:
            user = add_user(core, name, role, password, province, agent=default_agent())
        except ValueError as exc:
            fail(str(exc))
        where = f" จังหวัด{province}" if province else ""
        click.echo(f"ผู้ใช้ {user.name} บทบาท {role}{where} พร้อมใช้งาน (user ready)")

    @users.command("list")
    @click.pass_context
    def users_list(ctx):
        """รายชื่อผู้ใช้ (list users)."""
        from sqlalchemy import select

        from schemas.models import User

        core = open_core(ctx)
        with core.sessions() as session:
            for user in session.scalars(select(User).order_by(User.name)):
                province = user.province.name if user.province else ""
                state = "" if user.active else " (ปิดใช้งาน/disabled)"
                click.echo(f"{user.name}\t{user.role}\t{province}{state}")

    @users.command("disable")
    @click.argument("name")
    @click.pass_context
    def users_disable(ctx, name):
        """ปิดบัญชีและปิดทุกเซสชันของผู้ใช้ (disable a user and end all their sessions)."""
        from indexer.core import default_agent
        from service.auth import disable_user

        if not disable_user(open_core(ctx), name, agent=default_agent()):
            fail(f"ไม่พบผู้ใช้ {name} (no user {name})")
        click.echo(f"ปิดบัญชี {name} แล้ว ทุกเซสชันสิ้นสุด (user disabled, sessions ended)")

    @users.command("logout")
    @click.argument("name")
    @click.pass_context
    def users_logout(ctx, name):
        """ปิดทุกเซสชันของผู้ใช้ทุกเครื่อง (end the user's sessions on every browser)."""
        from sqlalchemy import select

        from schemas.models import User
        from service.auth import end_sessions

        core = open_core(ctx)
        with core.sessions() as session:
            user_id = session.scalar(select(User.id).where(User.name == name))
        if user_id is None:
            fail(f"ไม่พบผู้ใช้ {name} (no user {name})")
        with core.transaction() as session:
            end_sessions(session, user_id)
        click.echo(f"ปิดทุกเซสชันของ {name} แล้ว (sessions ended)")

    @main.group()
    def tokens() -> None:
        """โทเคนสำหรับสคริปต์ (API tokens for scripts)."""

    @tokens.command("create")
    @click.option(
        "--role", required=True, type=click.Choice(["admin", "strategy", "dsss", "viewer"])
    )
    @click.option("--name", required=True, help="ชื่อเรียกโทเคน (what the token is for)")
    @click.option("--province", help="จังหวัดของโทเคน dsss (the province a dsss token acts for)")
    @click.pass_context
    def tokens_create(ctx, role, name, province):
        """สร้างโทเคน; แสดงครั้งเดียว (create a token; shown once, as the last word)."""
        from indexer.core import default_agent
        from service.auth import create_token

        province = _known_province(province)
        core = open_core(ctx)
        try:
            token = create_token(core, name, role, province, agent=default_agent())
        except ValueError as exc:
            fail(str(exc))
        click.echo(
            "เก็บโทเคนนี้ไว้ จะไม่แสดงอีก (keep this token, it is not shown again; "
            "send it as 'Authorization: Bearer TOKEN'):"
        )
        click.echo(token)

    @tokens.command("revoke")
    @click.argument("name")
    @click.pass_context
    def tokens_revoke(ctx, name):
        """ยกเลิกโทเคนทุกอันที่ชื่อนี้ (revoke every token with this name)."""
        from sqlalchemy import select

        from indexer.core import default_agent
        from schemas.models import ApiToken
        from service.actions.accounts import revoke_token

        core = open_core(ctx)
        with core.sessions() as session:
            ids = session.scalars(
                select(ApiToken.id).where(ApiToken.name == name, ApiToken.revoked.is_(False))
            ).all()
        for token_id in ids:  # as the admin's page does it: each one an event
            revoke_token(core, token_id, agent=default_agent())
        click.echo(f"ยกเลิก {len(ids)} โทเคน (revoked {len(ids)})")

    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8000, show_default=True, type=int)
    @click.pass_context
    def serve(ctx, host, port):
        """เปิดเว็บสำหรับพัฒนา (development server; production runs gunicorn, see Procfile)."""
        from service import create_app

        data_dir = ctx.obj.get("data_dir")
        app = create_app({"KHLANG_DATA_DIR": data_dir, "KHLANG_DEV": True})
        app.run(host=host, port=port, threaded=True, debug=False)
