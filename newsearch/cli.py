"""click commands: parse, call Index, print, map errors to exit codes."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

import click

from . import Article, Hit, Index, IndexStats, NewsearchError, ReadError, Results, __version__, engines
from .printable import printable
from .timeline import Timeline

if TYPE_CHECKING:
    from .indexer import UpdateReport

DEFAULT_INDEX = "index"
CHART_WIDTH = 80
SOURCES_SHOWN = 20  # stats lists this many sources, the largest first
# Control characters in file names and ids, escaped in reports so that no name can forge a line of them.
class Cli(click.Group):
    """Turns the library's errors into one-line messages and their exit codes, in one place."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NewsearchError as error:
            failure = click.ClickException(str(error))
            failure.exit_code = error.exit_code  # type: ignore[misc]  # click reads it from the instance
            raise failure from error


index_option = click.option(
    "--index", "index_dir", default=DEFAULT_INDEX, show_default=True, envvar="NEWSEARCH_INDEX",
    type=click.Path(file_okay=False), help="Index folder (env NEWSEARCH_INDEX).",
)


def json_options(items: str | None = None):
    """The machine-readable forms of a command's answer, in one convention for every command (see README):
    ``--json`` prints the whole answer as one JSON object on one line; where the answer is a list, ``--jsonl``
    prints one object per item instead (``items`` names them), one a line, and nothing else."""
    json_flag = click.option("--json", "output", flag_value="json",
                             help="Print the whole answer as one JSON object, on one line.")
    if items is None:
        return json_flag
    jsonl_flag = click.option("--jsonl", "output", flag_value="jsonl",
                              help=f"Print one JSON object per {items}, one a line (JSON Lines), and nothing else.")
    return lambda command: json_flag(jsonl_flag(command))


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsearch")  # from the source: works uninstalled too
def cli():
    """Full-text search for news archives.

    Build an index from a folder of articles (HTML, text, JSON, JSONL), then
    query it. Exit codes: 0 done; 1 an error, or some files could not be read;
    2 usage error; 75 another process is writing the index.
    """


wait_option = click.option("--wait", default=0.0, show_default=True, metavar="SECONDS",
                           help="How long to wait for another run's write lock before giving up (exit 75).")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="Print only errors.")
shrink_option = click.option("--allow-shrink", is_flag=True,
                             help="Go ahead even when more than half the documents would go (the sources shrank).")
exclude_option = click.option("--exclude", multiple=True, metavar="GLOB",
                              help="Never read paths matching GLOB (repeatable; as in .gitignore: 'drafts/', "
                                   "'*.tmp.txt', 'archive/2019/*'); remembered by the index. A corpus folder's "
                                   ".newsearchignore holds more, one a line.")


@cli.command()
@click.argument("corpus", nargs=-1, type=click.Path(exists=True))
@click.option("--rebuild", is_flag=True, help="Rebuild from the folders the index was built from (no CORPUS needed).")
@click.option("--engine", type=click.Choice(engines.names()), default=None,
              help="The search engine to keep the index in (remembered by the index); default: the index's own, "
                   "else $NEWSEARCH_ENGINE, else whoosh. tantivy needs: pip install 'newsearch[tantivy]'; "
                   "typesense: pip install 'newsearch[typesense]' and a Typesense cluster (--url).")
@click.option("--url", metavar="URL,...", help="typesense: the cluster's nodes, http://host:8108,... "
                                               "(remembered by the index).")
@click.option("--api-key-env", metavar="NAME", help="typesense: the environment variable holding the API key "
                                                    "(default TYPESENSE_API_KEY; the key is never stored).")
@click.option("--api-key-file", type=click.Path(dir_okay=False), metavar="PATH",
              help="typesense: a file holding the API key, readable by its owner only (chmod 600).")
@click.option("--search-key-env", metavar="NAME", help="typesense: the environment variable holding a search-only "
                                                       "API key, which `newsearch serve` uses.")
@click.option("--engine-option", "engine_options", multiple=True, metavar="KEY=VALUE",
              help="An option of the engine, passed to it as is (repeatable); --url and the key options above "
                   "are shorthands for the typesense engine's.")
@shrink_option
@exclude_option
@json_options()
@quiet_option
@wait_option
@index_option
def index(corpus, rebuild, engine, url, api_key_env, api_key_file, search_key_env, engine_options, allow_shrink,
          exclude, output, quiet, wait, index_dir):
    """Build the index from scratch from CORPUS folders (or files).

    The new index is built beside the live one and replaces it in one step when
    complete, so queries keep working meanwhile. Files that cannot be read are
    listed on stderr and the rest is indexed (exit code 1 when any failed).
    A rebuild that finds no article file, or would hold less than half the
    documents of the live index, stops (exit 1) unless --allow-shrink.

    Example:

    \b
        newsearch index corpus/ --index index/
        newsearch index --rebuild --index /var/lib/newsearch
        newsearch index corpus/ --engine tantivy
        newsearch index corpus/ --exclude 'drafts/' --exclude '*.tmp.txt'
        newsearch index corpus/ --engine typesense --url http://ts1:8108,http://ts2:8108 \\
            --api-key-env TYPESENSE_API_KEY
    """
    if not corpus and not rebuild:
        raise click.UsageError("name the CORPUS folders to index, or pass --rebuild")
    options = dict(_key_value("--engine-option", option) for option in engine_options)
    options.update({name: value for name, value in (("nodes", url), ("api_key_env", api_key_env),
                                                    ("api_key_file", api_key_file),
                                                    ("search_key_env", search_key_env)) if value})
    report = Index.build(index_dir, list(corpus) or None, progress=_progress(quiet or bool(output)), wait=wait,
                         workers=os.cpu_count() or 1, engine=engine, allow_shrink=allow_shrink,
                         exclude=exclude or None, **options)
    _report(report, output, quiet)


@cli.command()
@click.argument("corpus", nargs=-1, type=click.Path(exists=True))
@click.option("--dry-run", is_flag=True, help="Say what would be added, changed and deleted; change nothing.")
@shrink_option
@exclude_option
@json_options()
@quiet_option
@wait_option
@index_option
def update(corpus, dry_run, allow_shrink, exclude, output, quiet, wait, index_dir):
    """Re-read new and changed files and drop vanished ones, in one commit.

    Without CORPUS, the folders the index was built from are used. Only files
    whose size or modification time changed are read (and files that failed,
    every time). Prints one summary line (added, changed, deleted, failed,
    unchanged, seconds). Exit codes: 0 all good, or the only failures are
    ones an earlier run reported in files that did not change (one reminder
    line on stderr); 1 a new failure (all other files indexed), or the update
    would delete more than half the documents (nothing changed; pass
    --allow-shrink); 2 usage error; 75 another run holds the write lock.

    Example:

    \b
        newsearch update --index /var/lib/newsearch --quiet
        newsearch update --dry-run
    """
    with Index.open(index_dir) as ix:
        report = ix.update(list(corpus) or None, progress=_progress(quiet or bool(output)), dry_run=dry_run,
                           wait=wait, workers=os.cpu_count() or 1, allow_shrink=allow_shrink,
                           exclude=exclude or None)
    _report(report, output, quiet)


@cli.command()
@json_options()
@index_option
def check(output, index_dir):
    """Check that the index opens, answers, and matches its source files.

    Exit code 0 when it does, 1 when an update would change something or a
    file fails to read.

    Example:

    \b
        newsearch check --index /var/lib/newsearch
    """
    with Index.open(index_dir) as ix:
        verdict = ix.check()
    if output:
        _echo_json(verdict.to_dict())
    else:
        click.echo(verdict.summary())
    if not verdict.ok:
        sys.exit(1)


@cli.command()
@wait_option
@index_option
def optimize(wait, index_dir):
    """Merge the index's segments into one, for faster queries.

    Updates already merge small segments as they go; this does it all at once.

    Example:

    \b
        newsearch optimize --index /var/lib/newsearch
    """
    with Index.open(index_dir) as ix:
        ix.optimize(wait=wait)
        click.echo(f"optimized {ix.stats().documents} documents")


snippet_chars_option = click.option("--snippet-chars", default=720, show_default=True, metavar="N",
                                    help="About the longest a snippet may be, in characters (up to three fragments).")
limit_option = click.option("--limit", default=10, show_default=True, help="Hits per page.")
collapse_option = click.option("--collapse/--no-collapse", default=True, show_default=True,
                               help="Show each story once (near-duplicates folded into their best-ranked copy), "
                                    "or every copy.")


@cli.command()
@click.argument("text")
@limit_option
@click.option("--page", default=1, show_default=True, help="Page of hits to show.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True,
              help="Order of hits (date: newest first).")
@click.option("--recent", is_flag=True,
              help="Blend relevance with age: a score halves for every 30 days before the newest hit.")
@click.option("--since", help="Only articles published on or after this date (2022-03-01, 2022-03, 2022, 7d).")
@click.option("--until", help="Only articles published on or before this date.")
@click.option("--source", multiple=True, help="Only articles from this source (repeatable).")
@click.option("--facet", multiple=True, metavar="NAME",
              help="Count matching articles by source, author, language, category or "
                   "published:day|week|month|year (repeatable).")
@snippet_chars_option
@collapse_option
@json_options("hit")
@click.option("--all", "every", is_flag=True, help="Stream every matching article (no page cap) as --format.")
@click.option("--format", "export_format", type=click.Choice(["jsonl", "csv"]), default=None,
              help="With --all: JSON Lines (as --jsonl prints hits; the default) or CSV with a header.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Stop a query still searching after this long (exit 1). Default: no limit.")
@index_option
def query(text, limit, page, sort, recent, since, until, source, facet, snippet_chars, collapse, output, every,
          export_format, timeout, index_dir):
    """Search the index and print ranked hits with highlighted snippets.

    Plain words: articles with all of them come first, then those with most
    of them. Also: "exact phrases", "near words"~2, AND / OR / NOT,
    +required, -excluded, (groups), field:value (title, body, author, source,
    language, url, category, id), published:[2022-03-01 TO 2022-03-31],
    published:>=2022-03, prefix*, fuzzy~. Put -- before a query that starts
    with -. When few or no articles match and a respelling finds more, a
    "Did you mean" line says so (with no match at all, the respelling's hits
    are shown). Near-duplicates (the same story republished or updated) show
    once, as their best-ranked copy with "+N similar"; --no-collapse lists every
    copy. Totals and facets count articles (every copy); "in N stories" counts
    each story once. With --json: one object {"hits", "page", "limit",
    "total", "stories", "facets", "suggestion", "ran_suggestion"}, each hit
    with "group" and "duplicates"; with --jsonl: one hit per line. With
    --all: every matching article (story, unless --no-collapse), streamed as
    --format jsonl (one hit per line, as --jsonl) or csv, page and limit
    ignored. --timeout stops a query that is still searching after that many
    seconds, with a one-line error (with --all: each page of 1,000 hits).

    Example:

    \b
        newsearch query "Mariupol corridor" --limit 5
        newsearch query 'corridor source:reuters' --since 2022-03 --json
        newsearch query 'corridor AND (Mariupol OR Azovstal) -shelling'
        newsearch query ukraine --facet source --facet published:month
        newsearch query "Mariupol corridor" --no-collapse
        newsearch query "Mariupol corridor" --recent
        newsearch query harbour --all --format csv > harbour.csv
    """
    if export_format and not every:
        raise click.UsageError("--format goes with --all (every matching article); for one page use --json")
    if every and output == "json":
        raise click.UsageError("--all streams one hit per line: use --jsonl (or --format csv), not --json")
    if every:
        with Index.open(index_dir) as ix:
            for line in ix.export(text, format=export_format or "jsonl", sort=sort, since=since, until=until,
                                  source=source, snippet_chars=snippet_chars, collapse=collapse,
                                  timeout=timeout):
                click.echo(line, nl=False)
        return
    with Index.open(index_dir) as ix:
        results = ix.query(text, limit=limit, page=page, sort=sort, since=since, until=until, source=source,
                           facets=facet, snippet_chars=snippet_chars, collapse=collapse, recent=recent,
                           timeout=timeout)
    _print_results(results, output)


@cli.command()
@click.argument("id")
@click.option("--duplicates", is_flag=True,
              help="List the other versions of this article's story (its near-duplicates), with sources and dates.")
@limit_option
@snippet_chars_option
@collapse_option
@json_options("hit (or version)")
@index_option
def similar(id, duplicates, limit, snippet_chars, collapse, output, index_dir):
    """Print articles like the one with this ID (more like this), from its key terms.

    With --duplicates: the other versions of the same story instead (oldest
    first), one line each with date, source, id and title. --json and
    --jsonl as for query; with --duplicates, --json prints one object {"id",
    "total", "duplicates"} and --jsonl one version per line, each
    {"id", "title", "source", "published", "url", "path", "group"}.

    Example:

    \b
        newsearch similar 000_fdb48ad2d1f0ca55.txt --limit 5
        newsearch similar 000_fdb48ad2d1f0ca55.txt --duplicates
    """
    with Index.open(index_dir) as ix:
        if duplicates:
            versions = ix.duplicates(id)
        else:
            results = ix.similar(id, limit=limit, snippet_chars=snippet_chars, collapse=collapse)
    if not duplicates:
        _print_results(results, output)
        return
    if output == "json":
        _echo_json({"id": id, "total": len(versions), "duplicates": [version.to_listing() for version in versions]})
        return
    for version in versions:
        if output == "jsonl":
            _echo_json(version.to_listing())
        else:
            when = version.published.isoformat()[:10] if version.published else "undated"
            click.echo(f"{when}  {version.source or '—'}  {version.id}  {version.title}")
    if not output:
        versions_word = "version" if len(versions) == 1 else "versions"
        click.echo(f"{len(versions)} other {versions_word} of this story." if versions else
                   "No other versions of this story (no near-duplicates).")


@cli.command()
@click.argument("text")
@click.option("--by", type=click.Choice(["day", "week", "month", "year"]), default="week", show_default=True,
              help="Length of one period.")
@click.option("--since", help="Only articles published on or after this date (2022-03-01, 2022-03, 2022, 7d).")
@click.option("--until", help="Only articles published on or before this date.")
@click.option("--source", multiple=True, help="Only articles from this source (repeatable).")
@json_options("period")
@index_option
def timeline(text, by, since, until, source, output, index_dir):
    """Chart how many articles match TEXT per day, week, month or year.

    One bar per period, from the first period with a match to the last; empty
    periods show as 0. Counts articles, every copy of a story included. The
    query language and filters are those of `query`. With --json: one object
    {"by", "counts", "total", "undated", "periods": [{"period", "count"}]};
    with --jsonl: one {"period", "count"} per line.

    Example:

    \b
        newsearch timeline "humanitarian corridor" --by week
        newsearch timeline ukraine --by month --since 2022 --json
    """
    with Index.open(index_dir) as ix:
        chart = ix.timeline(text, by=by, since=since, until=until, source=source)
    if output == "json":
        _echo_json(chart.to_dict())
    elif output == "jsonl":
        for period in chart.to_dict()["periods"]:
            _echo_json(period)
    else:
        click.echo(_format_timeline(chart))


@cli.group()
def watch():
    """Saved searches, kept with the index through updates and rebuilds (see `alerts`).

    Example:

    \b
        newsearch watch add corridors '"humanitarian corridor"'
        newsearch watch list
        newsearch watch remove corridors
    """


@watch.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--source", multiple=True, help="Only articles from this source (repeatable).")
@index_option
def watch_add(name, query, source, index_dir):
    """Save QUERY under NAME (replacing a saved search of that name).

    Example:

    \b
        newsearch watch add harbour 'harbour OR port' --source Reuters
    """
    with Index.open(index_dir) as ix:
        saved = ix.watch(name, query, source=source)
    click.echo(f"saved '{saved.name}': {saved.query}")


@watch.command("list")
@json_options("saved search")
@index_option
def watch_list(output, index_dir):
    """List the saved searches: name, query and sources (--json: one object {"watches": [...]}; --jsonl: one a line).

    Example:

    \b
        newsearch watch list --json
    """
    with Index.open(index_dir) as ix:
        saved = ix.watches()
    if output == "json":
        _echo_json({"watches": [one.to_dict() for one in saved]})
        return
    for one in saved:
        if output == "jsonl":
            _echo_json(one.to_dict())
        else:
            sources = f"  (source: {', '.join(one.sources)})" if one.sources else ""
            click.echo(f"{one.name}\t{one.query}{sources}")


@watch.command("remove")
@click.argument("name")
@index_option
def watch_remove(name, index_dir):
    """Forget the saved search NAME and what it reported.

    Example:

    \b
        newsearch watch remove harbour
    """
    with Index.open(index_dir) as ix:
        ix.unwatch(name)
    click.echo(f"removed '{name}'")


@cli.command()
@click.argument("names", nargs=-1)
@click.option("--peek", is_flag=True, help="Show the alerts without recording them as reported.")
@json_options("article")
@index_option
def alerts(names, peek, output, index_dir):
    """Print, per saved search (all, or NAMES), the matching articles new since it last reported.

    They then count as reported (not with --peek). A search's first run
    reports everything it matches; near-duplicates of an article already
    reported are not reported again. Prints nothing when there is no news, so
    cron mails only when there is: newsearch update --quiet && newsearch
    alerts. With --jsonl: one object per article (watch, id, title, source,
    published, url, snippet), nothing when there is no news; with --json:
    one object {"alerts": [...]}, always.

    Example:

    \b
        newsearch alerts
        newsearch alerts harbour --jsonl --peek
    """
    with Index.open(index_dir) as ix:
        found = ix.alerts(names, peek=peek)
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    if output == "json":
        _echo_json({"alerts": [alert.to_dict() for alert in found]})
        return
    heading, number = None, 0
    for alert in found:
        if output == "jsonl":
            _echo_json(alert.to_dict())
            continue
        if alert.watch != heading:
            heading, number = alert.watch, 0
            count = sum(1 for other in found if other.watch == heading)
            click.echo(f"{heading}: {count} new article{'' if count == 1 else 's'}\n")
        number += 1
        click.echo(_format_hit(number, alert.hit, color, score=False))


def _print_results(results: Results, output: str | None) -> None:
    """Hits as text (suggestion first, facets last), as one JSON object, or as one JSON hit per line."""
    if output == "json":
        _echo_json(results.to_dict())
        return
    if output == "jsonl":
        for hit in results:
            _echo_json(hit.to_dict())
        return
    if results.ran_suggestion:
        click.echo(f"No articles match; showing results for: {results.suggestion}\n")
    elif results.suggestion:
        click.echo(f"Did you mean: {results.suggestion}?\n")
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    first = (results.page - 1) * results.limit
    for number, hit in enumerate(results, first + 1):
        click.echo(_format_hit(number, hit, color))
    shown = f"{first + 1}-{first + len(results)}" if len(results) else "none"
    stories = f" in {_counted(results.stories, 'story', 'stories')}" if results.stories is not None else ""
    click.echo(f"{_counted(results.total, 'matching article')}{stories}; showing {shown}.")
    for name, counts in results.facets.items():
        click.echo(f"{name}: " + (" · ".join(f"{value} ({count})" for value, count in counts) or "—"))


@cli.command()
@click.argument("id")
@json_options()
@index_option
def show(id, output, index_dir):
    """Print one stored article with all its fields.

    Example:

    \b
        newsearch show 000_fdb48ad2d1f0ca55.txt
    """
    with Index.open(index_dir) as ix:
        article = ix.get(id)
    if output:
        _echo_json(article.to_dict())
    else:
        click.echo(_format_article(article))


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@json_options("article")
def extract(files, output):
    """Print articles as newsearch reads them: metadata, then the body.

    A JSON or JSONL file gives one article per record. With --json: one
    object {"articles": [...], "failed": [{"path", "reason"}]}, each article
    {"id", "title", "authors", "published", "source", "url", "language",
    "categories", "path", "body", "warnings"}; with --jsonl: one article per
    line. What cannot be read is reported on stderr and the rest is still
    printed (exit code 1).

    Example:

    \b
        newsearch extract page.html
        newsearch extract page.html other.html --jsonl
    """
    failed: list[ReadError] = []
    articles: list[dict] = []  # for --json, printed as one object at the end
    number = 0
    from .readers import read_articles

    for part in (part for name in files for part in read_articles(name)):
        if isinstance(part, ReadError):
            click.echo(f"newsearch: skipped {printable(str(part))}", err=True)
            failed.append(part)
            continue
        article, number = part, number + 1
        for warning in article.warnings:
            click.echo(f"newsearch: warning: {printable(warning)}", err=True)
        if output == "json":
            articles.append(article.to_dict())
        elif output == "jsonl":
            _echo_json(article.to_dict())
        else:
            click.echo(("\n" + "=" * 72 + "\n" if number > 1 else "") + _format_article(article))
    if output == "json":
        _echo_json({"articles": articles, "failed": [{"path": error.path, "reason": error.reason} for error in failed]})
    if failed:
        sys.exit(1)


@cli.command()
@json_options()
@index_option
def stats(output, index_dir):
    """Print documents, sources, date range and size on disk.

    Example:

    \b
        newsearch stats --index index/
    """
    with Index.open(index_dir) as ix:
        summary = ix.stats()
    if output:
        _echo_json(summary.to_dict())
    else:
        click.echo(_format_stats(summary))


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="NEWSEARCH_HOST",
              help="Address to listen on (0.0.0.0: every interface, reachable from other machines; "
                   "env NEWSEARCH_HOST).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), envvar="NEWSEARCH_PORT",
              help="Port to listen on (env NEWSEARCH_PORT).")
@click.option("--timeout", default=5.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              metavar="SECONDS", envvar="NEWSEARCH_TIMEOUT",
              help="Searches still running after this long answer 503 (their work stops; env NEWSEARCH_TIMEOUT).")
@click.option("--workers", type=click.IntRange(min=1), envvar="NEWSEARCH_WORKERS", show_default="the number of cores",
              help="Server processes answering on the port, each with its own open index (env NEWSEARCH_WORKERS).")
@index_option
def serve(host, port, timeout, workers, index_dir):
    """Serve the search page and the JSON API over HTTP until interrupted.

    The page is at /, the API under /api (search, articles/ID, similar/ID,
    stats, health) and its interactive documentation at /api/docs. Read-only;
    a rebuilt or updated index is answered from without a restart. --workers
    processes (one a core by default) share the port, so that the default
    engine, which searches on one core a process, uses every core. Needs the
    serve extra: pip install 'newsearch[serve]'.

    Example:

    \b
        newsearch serve
        newsearch serve --index /var/lib/newsearch --port 9000 --host 0.0.0.0
        newsearch serve --workers 4
    """
    try:
        # Imported here, not at the top: the web stack is an optional extra, and other commands start faster without it.
        from .web import is_loopback, serve as run_server
    except ModuleNotFoundError as error:
        raise click.ClickException(f"serving needs the serve extra ({error.name} is missing): "
                                   "install newsearch[serve]") from error
    if not is_loopback(host):
        click.echo(f"newsearch: warning: serving on {host}, beyond this machine: the server has no "
                   "authentication, so anyone who can reach the port can search and read the whole index", err=True)
    run_server(index_dir, host=host, port=port, timeout=timeout, workers=workers or os.cpu_count() or 1)


def _report(report: UpdateReport, output: str | None = None, quiet: bool = False) -> None:
    """Failures on stderr, the summary (text or JSON) on stdout unless quiet; exit 1 when anything failed."""
    for where, reason in report.failed:
        click.echo(f"newsearch: skipped {printable(where)}: {printable(reason)}", err=True)
    if report.known:
        plural = "s" if len(report.known) != 1 else ""
        click.echo(f"newsearch: {len(report.known)} failure{plural} seen before, in files that did not change "
                   "(newsearch update --json lists them)", err=True)
    if not quiet:
        for warning in report.warnings:
            click.echo(f"newsearch: warning: {printable(warning)}", err=True)
    if output:
        _echo_json(report.to_dict())
    elif not quiet:
        click.echo(report.summary())
    if not report.ok:
        sys.exit(1)


def _echo_json(answer: dict) -> None:
    """One JSON object on one line of stdout, non-ASCII text as is."""
    click.echo(json.dumps(answer, ensure_ascii=False))


def _progress(silent: bool):
    """A progress callback drawing a bar on stderr when it is a terminal; None otherwise (cron, pipes)."""
    if silent or not sys.stderr.isatty():
        return None
    bar = None

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Indexing", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)
        if done == total:
            bar.__exit__(None, None, None)

    return advance


def _format_hit(number: int, hit: Hit, color: bool, score: bool = True) -> str:
    title = click.style(hit.title, bold=True) if color else hit.title
    details = [hit.source, hit.published.isoformat()[:10] if hit.published else "", ", ".join(hit.authors), hit.id]
    if color:
        snippet = "".join(click.style(text, fg="yellow", bold=True) if is_match else text
                          for text, is_match in hit.snippet.parts)
    else:
        snippet = hit.snippet.render("[", "]")
    similar = f"  +{hit.duplicates} similar" if hit.duplicates else ""
    scored = f"  (score {hit.score:.2f})" if score else ""
    lines = [f"{number:>2}. {title}", f"    {' · '.join(d for d in details if d)}{scored}{similar}"]
    if snippet:
        lines.append(f"    {snippet}")
    return "\n".join(lines) + "\n"


def _format_article(article: Article) -> str:
    fields = [
        ("id", article.id), ("title", article.title), ("authors", ", ".join(article.authors)),
        ("published", article.published.isoformat() if article.published else ""), ("source", article.source),
        ("url", article.url), ("language", article.language), ("categories", ", ".join(article.categories)),
        ("path", article.path),
    ]
    if article.warnings:
        fields.append(("warnings", "; ".join(article.warnings)))
    head = "\n".join(f"{name + ':':<12}{value}" for name, value in fields)
    return f"{head}\n\n{article.body}"


def _format_stats(summary: IndexStats) -> str:
    dates = "—"
    if summary.first_published and summary.last_published:
        dates = f"{summary.first_published.isoformat()[:10]} to {summary.last_published.isoformat()[:10]}"
    return "\n".join([
        f"{'index:':<12}{summary.path} ({summary.engine})",
        f"{'documents:':<12}{summary.documents}",
        _format_sources(summary.sources),
        f"{'published:':<12}{dates}",
        f"{'size:':<12}{summary.size_bytes / 1e6:.1f} MB",
        f"{'grouped:':<12}{_counted(summary.grouped_documents, 'document')} "
        f"{'has' if summary.grouped_documents == 1 else 'have'} near-duplicates, "
        f"in {_counted(summary.groups, 'group')}",
        *(f"{'' if number else 'largest:':<12}{_counted(size, 'document')}: {title}"
          for number, (_, size, title) in enumerate(summary.largest_groups)),
    ])


def _format_sources(sources: dict[str, int]) -> str:
    """The ``SOURCES_SHOWN`` largest sources with their counts, "and N more", wrapped to CHART_WIDTH columns
    between sources (a source and its count stay on one line)."""
    ranked = sorted(sources.items(), key=lambda item: (-item[1], item[0]))
    items = [f"{name} ({count})," for name, count in ranked[:SOURCES_SHOWN]]
    if len(ranked) > SOURCES_SHOWN:
        items.append(f"and {len(ranked) - SOURCES_SHOWN} more")
    elif items:
        items[-1] = items[-1].rstrip(",")
    lines = [f"{'sources:':<12}" + (items[0] if items else "—")]
    for item in items[1:]:
        if len(lines[-1]) + 1 + len(item) > CHART_WIDTH:
            lines.append(" " * 12 + item)
        else:
            lines[-1] += " " + item
    return "\n".join(lines)


def _format_timeline(chart: Timeline) -> str:
    """One line per period: label, a bar scaled to the busiest period, the count; fits CHART_WIDTH columns.

    Long runs of empty periods take one line (``Timeline.folded``).
    """
    if not chart.periods:
        return f"No dated articles match ({chart.total} matching, {chart.undated} undated)."
    label_width = max(len(label) for label, _ in chart.periods)
    count_width = max(len(str(count)) for _, count in chart.periods)
    bar_width = CHART_WIDTH - label_width - count_width - 3
    peak = max(count for _, count in chart.periods)
    lines = []
    for first, last, count, periods in chart.folded():
        if periods > 1:
            lines.append(f"{'⋮':<{label_width}} {_counted(periods, 'empty ' + chart.by)}, {first} to {last}")
            continue
        bar = "█" * round(count / peak * bar_width) if peak else ""
        if count and not bar:
            bar = "▏"  # a period with matches never looks empty
        lines.append(f"{first:<{label_width}} {bar:<{bar_width}} {count:>{count_width}}".rstrip())
    busiest = max(chart.periods, key=lambda period: period[1])[0]
    undated = f", {chart.undated} undated" if chart.undated else ""
    lines.append(f"{_counted(chart.total, 'matching article')} (every copy counted){undated}; "
                 f"busiest {chart.by}: {busiest}.")
    return "\n".join(lines)


def _counted(count: int, noun: str, plural: str = "") -> str:
    """``1 story``, ``2 stories``: the count and the noun in the number it needs (``noun + "s"`` by default)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _key_value(option: str, text: str) -> tuple[str, str]:
    """KEY=VALUE as a pair; a usage error naming the option otherwise."""
    key, equals, value = text.partition("=")
    if not equals or not key.strip():
        raise click.UsageError(f"{option} takes KEY=VALUE, not {text!r}")
    return key.strip(), value
