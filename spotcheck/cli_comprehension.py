"""The command for the understanding-test results (理解度テスト結果)."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from . import imports
from .cli import fail, run_import, summary
from .db import get_db
from .importing import ImportRejected


@click.command("import-tests")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="検査して件数を表示するだけで、何も書き込みません")
def import_tests_command(file, dry_run):
    """理解度テスト結果（CSV / XLSX、1 行 1 回の受験）を取り込みます。不合格はフォローアップになり、後日の合格で完了します。"""
    if not dry_run:
        run_import("test_results", file)
        return
    try:
        plan = imports.plan(get_db(), "test_results", Path(file).read_bytes(), Path(file).name,
                            max_rows=current_app.config["MAX_IMPORT_ROWS"])
    except ImportRejected as error:
        fail(error.messages + ["取り込めません。データは変更していません。"])
    click.echo(summary(plan))
    click.echo("確認のみ（--dry-run）: データは変更していません。")


COMMANDS = (import_tests_command,)
