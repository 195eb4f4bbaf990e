from vellarys.cli import app

app()
