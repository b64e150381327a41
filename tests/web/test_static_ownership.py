"""`serve --static SITE` replaces only what it wrote: a user's CNAME, .git/ and NOTES.md are kept (the command
refuses in one line), a symlinked SITE is refused and kept, a refused model folder is one line (issue 20, items 1, 9)."""

import shutil

from tfjs_bridge.web.serve import main as serve_main


def build(models, site, capsys) -> tuple[int, str]:
    """(exit code, stderr) of one `serve --static` run."""
    code = serve_main(["--models", str(models), "--static", str(site)])
    return code, capsys.readouterr().err


def test_users_files_in_the_site_are_never_deleted(exported, tmp_path, capsys):
    site = tmp_path / "site"
    assert build(exported, site, capsys) == (0, "")
    (site / "CNAME").write_text("models.example.org\n")
    (site / ".git").mkdir()
    (site / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (site / "static" / "NOTES.md").write_text("deep inside one of the tool's folders\n")
    code, err = build(exported, site, capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert ".git/, .git/HEAD, CNAME and 1 more, which tfjs-bridge did not write" in err
    assert (site / "CNAME").is_file() and (site / ".git" / "HEAD").is_file() and (site / "static" / "NOTES.md").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporaries left


def test_a_legacy_site_is_replaced_but_a_look_alike_is_not(exported, tmp_path, capsys):
    legacy = tmp_path / "legacy"  # written by an earlier version: its marker file, only its entries
    for name in ("index.html", "_headers", ".tfjs-bridge-site"):
        (legacy / name).parent.mkdir(exist_ok=True)
        (legacy / name).write_text("")
    (legacy / "static").mkdir()
    assert build(exported, legacy, capsys) == (0, "")
    mine = tmp_path / "mine"  # the user's own site: the same names, no marker
    (mine / "static").mkdir(parents=True)
    (mine / "index.html").write_text("<h1>mine</h1>")
    code, err = build(exported, mine, capsys)
    assert code == 2 and "index.html, static, which tfjs-bridge did not write" in err
    assert (mine / "index.html").read_text() == "<h1>mine</h1>"


def test_a_symlinked_site_is_refused_and_kept(exported, tmp_path, capsys):
    real = tmp_path / "real"
    assert build(exported, real, capsys) == (0, "")
    link = tmp_path / "link"
    link.symlink_to(real)
    code, err = build(exported, link, capsys)
    assert code == 2 and "symbolic link" in err and err.count("\n") == 1
    assert link.is_symlink() and sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_a_folder_name_the_server_refuses_is_one_line(exported, tmp_path, capsys):
    models = tmp_path / "models"
    shutil.copytree(exported, models)
    shutil.copytree(models / "linear", models / "bad name")
    code, err = build(models, tmp_path / "site", capsys)
    assert code == 2 and err.count("\n") == 1 and "'bad name' refused: its name must be" in err, err
    assert not (tmp_path / "site").exists()
