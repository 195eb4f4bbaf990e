"""The ``vellarys`` command line."""

from vellarys.cli.accounts import tenant_app, user_app
from vellarys.cli.api_key import api_key_app
from vellarys.cli.backup import backup
from vellarys.cli.briefing import briefing_app
from vellarys.cli.channel import channel_app
from vellarys.cli.chat import chat
from vellarys.cli.database import db_app
from vellarys.cli.doctor import doctor
from vellarys.cli.followups import followups_app
from vellarys.cli.integrations import portal_app
from vellarys.cli.listings import listings_app
from vellarys.cli.operator import operator_app
from vellarys.cli.secrets import secrets_app
from vellarys.cli.server import app
from vellarys.cli.template import template_app
from vellarys.cli.visits import visits_app

app.add_typer(api_key_app, name="api-key")
app.add_typer(briefing_app, name="briefing")
channel_app.add_typer(template_app, name="template")
app.add_typer(channel_app, name="channel")
app.add_typer(secrets_app, name="secrets")
app.add_typer(db_app, name="db")
app.add_typer(followups_app, name="followups")
app.add_typer(listings_app, name="listings")
app.add_typer(operator_app, name="operator")
app.add_typer(portal_app, name="portal")
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(visits_app, name="visits")
app.command()(chat)
app.command()(doctor)
app.command()(backup)

__all__ = ["app"]
