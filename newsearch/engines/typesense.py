"""The typesense engine (``pip install newsearch[typesense]``): the index lives in a Typesense cluster,
the same query language, snippets, facets and updates as the embedded engines.

The generation folder holds no search data, only ENGINE_FILE naming its
collection (one per generation) and the alias other apps search through; the
cluster's nodes and where the API key comes from are engine options, kept in
``newsearch.json``. The key itself is never written: it is read from an
environment variable or from a file only its owner may read.

Articles are analysed by newsearch (the Whoosh engine's analyzers: stems in the
article's language), and Typesense holds the results: the words of title and
body as arrays that ``filter_by`` matches exactly, and as stem strings that
``q`` ranks and finds phrases in (see typesense_query).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
import stat
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import typesense
from typesense import exceptions as ts_errors
from typesense.http_backend import backend_errors

from .. import analysis
from ..analysis import DEFAULT_LANGUAGE, fold, stemming_language
from ..article import Article, to_utc_naive
from ..errors import IndexNotFound, NewsearchError, quoted
from ..facets import FACET_VALUES, date_bucket
from ..languages import analysis_language
from ..query import Marks, SearchRequest, TermMarks
from ..query.collapse import page_of_stories
from ..query.deadline import check as check_deadline
from ..query.spelling import edit_distance
from ..results import Hit, Results, Snippet
from ..schema import WEIGHTS
from ..snippets import MARK_CHARS, mark_all, scanned, snippet_in
from . import EXTERNAL_FILE as ENGINE_FILE
from .base import Engine, EngineStats
from .typesense_query import Plan, Translator, all_of, any_of, date_range, pairs, seconds, words_clause

NAME = "typesense"
UNFINISHED_FILE = "unfinished.jsonl"  # in the generation folder: ids of writes that may not have completed
NODES_ENVIRONMENT = "NEWSEARCH_TYPESENSE_NODES"  # nodes of new indexes when none are given: comma-separated URLs
KEY_ENVIRONMENT = "TYPESENSE_API_KEY"  # the default variable holding the API key
BATCH = 500  # documents per import request
DELETE_BATCH = 200  # ids per delete-by-filter request
ATTEMPTS = 6  # tries of one request while nodes fail or elect a leader (waits 0.5, 1, 2, 4, 8 s)
PAGE_MAX = 250  # Typesense's largest page
MULTI_SEARCHES = 50  # Typesense's most searches in one multi-search request (limit_multi_searches)
GROUP_VALUES = 64  # groups counted at first when collapsing (see _group_counts)
MAX_GROUP_VALUES = 65_536
UNDATED = 2**62  # the recency of an article with no date: after every dated one
HIDDEN = ("key,title_text,body_text,words,title_words,body_words,title_pairs,body_pairs,authors_names,source_names,"
          "language_names,categories_names")  # fields a hit need not carry back
FACET_FIELDS = {"source": "f_source", "author": "f_authors", "language": "f_language", "category": "f_categories",
                "published:day": "f_day", "published:week": "f_week", "published:month": "f_month",
                "published:year": "f_year"}


def _schema(name: str) -> dict:
    """The Typesense collection of one generation. Stored but unindexed: ``article`` (the whole article)."""
    def text(field: str, **more) -> dict:
        return {"name": field, "type": "string", **more}

    def texts(field: str, **more) -> dict:
        return {"name": field, "type": "string[]", **more}

    return {
        "name": name,
        "fields": [
            text("title_text"), text("body_text"),  # stems in text order: q ranks by them and finds phrases
            texts("words"),  # the words of title and body together
            texts("title_words"), texts("body_words"), texts("title_pairs"), texts("body_pairs"),
            texts("authors_names"), texts("source_names"), texts("language_names"), texts("categories_names"),
            text("key"), text("analysis", facet=True), text("url"), text("path"),  # key: the id, for filters
            text("group_key", facet=True),  # what a document collapses by: its near-duplicate group, or itself
            text("f_source", facet=True), texts("f_authors", facet=True), text("f_language", facet=True),
            texts("f_categories", facet=True),
            *(text(f"f_{unit}", facet=True) for unit in ("day", "week", "month", "year")),
            {"name": "published", "type": "int64"}, {"name": "dated", "type": "bool"},
            {"name": "recency", "type": "int64"},
        ],
        "default_sorting_field": "recency",
    }


def _lexicon_schema(name: str) -> dict:
    """The collection of every word the index has held: each with all its prefixes, for prefix lookups
    (Typesense's own prefix search stops after a few words)."""
    return {"name": name, "fields": [{"name": "word", "type": "string"},
                                     {"name": "prefixes", "type": "string[]"}]}


def _lexicon_entry(word: str) -> dict:
    return {"id": hashlib.sha1(word.encode("utf-8")).hexdigest()[:20], "word": word,
            "prefixes": [word[:length] for length in range(1, len(word) + 1)]}


class Settings:
    """Where the cluster is and how to get its API key: the engine options an index keeps.

    ``nodes``: URLs (``http://host:8108``); ``api_key_env``: the variable holding the key
    (default TYPESENSE_API_KEY); ``api_key_file``: a file holding it, readable by its owner
    only; ``api_key``: the key itself, used by this process and never stored;
    ``search_key_env``: the variable holding a search-only key, which a process that only
    searches (``search_only=True``, as ``newsearch serve``) uses instead of the admin key.
    """

    STORED = ("nodes", "api_key_env", "api_key_file", "search_key_env")

    def __init__(self, options: Mapping | None):
        options = dict(options or {})
        unknown = set(options) - {*self.STORED, "api_key", "search_only"}
        if unknown:
            raise NewsearchError(f"unknown typesense engine options: {', '.join(sorted(unknown))}")
        nodes = options.get("nodes") or os.environ.get(NODES_ENVIRONMENT, "")
        if isinstance(nodes, str):
            nodes = [node.strip() for node in nodes.split(",") if node.strip()]
        if not nodes:
            raise NewsearchError(f"the typesense engine needs the cluster's nodes: --url http://host:8108,... "
                                 f"(or ${NODES_ENVIRONMENT})")
        for node in nodes:
            if not re.fullmatch(r"https?://[^\s/:]+(:\d+)?/?", node):
                raise NewsearchError(f"not a Typesense node URL: {node!r} (use http://host:8108)")
        self.nodes = [node.rstrip("/") for node in nodes]
        self.api_key_file = str(Path(options["api_key_file"]).resolve()) if options.get("api_key_file") else None
        self.api_key_env = None if self.api_key_file else (options.get("api_key_env") or KEY_ENVIRONMENT)
        self._key = options.get("api_key") or None
        self.search_key_env = options.get("search_key_env") or None
        self.search_only = bool(options.get("search_only"))

    def stored(self) -> dict:
        """The options to keep with the index: never the key."""
        kept: dict[str, Any] = {"nodes": self.nodes}
        if self.api_key_file:
            kept["api_key_file"] = str(self.api_key_file)
        else:
            kept["api_key_env"] = self.api_key_env
        if self.search_key_env:
            kept["search_key_env"] = self.search_key_env
        return kept

    def api_key(self) -> str:
        """The API key, from the option, the file or the environment; NewsearchError saying where it was sought.

        Searching only, the search-only key when the index names one (else the admin key).
        """
        if self.search_only and self.search_key_env:
            key = os.environ.get(self.search_key_env, "").strip()
            if not key:
                raise NewsearchError(f"the typesense index needs its search-only API key in ${self.search_key_env}")
            return key
        if self._key:
            return self._key
        if self.api_key_file:
            return read_key_file(Path(self.api_key_file))
        key = os.environ.get(self.api_key_env or KEY_ENVIRONMENT, "").strip()  # named whenever there is no file
        if not key:
            raise NewsearchError(f"the typesense index needs its API key in ${self.api_key_env}")
        return key

    def client(self, timeout: float = 10.0) -> typesense.Client:
        """A client that tries the nodes in turn when one fails."""
        with warnings.catch_warnings():  # the 2.x client warns about APIs of newer servers, which we do not use
            warnings.simplefilter("ignore", DeprecationWarning)
            return typesense.Client({
            "nodes": list(self.nodes), "api_key": self.api_key(), "connection_timeout_seconds": timeout,
            "num_retries": max(len(self.nodes), 2), "retry_interval_seconds": 0.2,
            "healthcheck_interval_seconds": 2,
            })


def read_key_file(path: Path) -> str:
    """The API key in ``path``; NewsearchError when others than its owner may read it, or it is empty."""
    try:
        mode = path.stat().st_mode
        key = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise NewsearchError(f"cannot read the API key file '{path}': {error.strerror or error}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise NewsearchError(f"the API key file '{path}' may be read by others; run: chmod 600 '{path}'")
    if not key:
        raise NewsearchError(f"the API key file '{path}' is empty")
    return key


def collection_names(folder: Path) -> tuple[str, str]:
    """The alias of an index (named after its folder, unique per absolute path) and this generation's collection."""
    index_folder = folder.resolve().parent
    slug = re.sub(r"[^a-z0-9]+", "_", index_folder.name.lower()).strip("_")[:40] or "index"
    digest = hashlib.sha1(str(index_folder).encode("utf-8")).hexdigest()[:8]
    alias = f"newsearch_{slug}_{digest}"
    return alias, f"{alias}_{folder.name.replace('-', '')}"


# Failures worth another try: the client's, the network's, and its HTTP library's own (a node killed mid-answer
# gives "illegal status line", which the client raises as it is once every node has been tried).
_RETRIED = (ts_errors.TypesenseClientError, OSError, *backend_errors("HTTPError"))


def _retrying(action: Callable, what: str, settings: Settings):
    """Run a request, again with growing waits while nodes fail or elect a leader; one-line errors."""
    wait = 0.5
    for attempt in range(ATTEMPTS):
        try:
            return action()
        except ts_errors.RequestUnauthorized:
            raise NewsearchError(f"the Typesense cluster refused the API key ({what})") from None
        except (ts_errors.ObjectNotFound, ts_errors.RequestMalformed, ts_errors.ObjectUnprocessable,
                ts_errors.ObjectAlreadyExists):
            raise
        except _RETRIED as error:
            if attempt == ATTEMPTS - 1:
                raise NewsearchError(f"the Typesense cluster at {', '.join(settings.nodes)} did not answer "
                                     f"({what}): {str(error).splitlines()[0] if str(error) else type(error).__name__}"
                                     ) from None
            time.sleep(wait)
            wait *= 2


# The most text one article may have: every document lives in the server's memory, with its index, and is
# sent in one import request (longer ones are refused per file; tantivy takes 64 MB, whoosh 224 MB).
MAX_ARTICLE_CHARS = 16 * 1024 * 1024


class TypesenseEngine(Engine):
    """An index held in one Typesense collection; the generation folder names it.

    Near-duplicates are grouped (each hit has its group) but not collapsed yet: every copy is listed.
    """

    name = NAME
    collapses = True
    option_names = Settings.STORED
    phrase_slop = False
    max_article_chars = MAX_ARTICLE_CHARS

    def __init__(self, folder: Path, settings: Settings, collection: str, alias: str):
        self._folder = folder
        self._settings = settings
        self._client = settings.client()
        self.collection = collection
        self.alias = alias
        self.words = f"{collection}_words"  # the collection of the index's words (see _lexicon_schema)
        with warnings.catch_warnings():  # the 2.x client warns about APIs of newer servers, which we do not use
            warnings.simplefilter("ignore", DeprecationWarning)
            self._collection = self._client.collections[collection]
            self._word_list = self._client.collections[self.words]
        self._listed: set[str] = set()  # words this process has put in the word list already

    @classmethod
    def stored_options(cls, options: Mapping | None) -> dict:
        """The options an index keeps in its metadata (checked; the key left out)."""
        return Settings(options).stored()

    @classmethod
    def create(cls, folder: Path, options: Mapping | None = None) -> TypesenseEngine:
        """A new, empty collection for the generation ``folder``."""
        settings = Settings(options)
        alias, collection = collection_names(folder)
        folder.mkdir(parents=True, exist_ok=True)
        engine = cls(folder, settings, collection, alias)
        for leftover in (engine._collection, engine._word_list):
            engine._call(leftover.delete, "replacing a leftover collection", missing_ok=True)
        engine._call(lambda: engine._client.collections.create(_schema(collection)), "creating the collection")
        engine._call(lambda: engine._client.collections.create(_lexicon_schema(engine.words)),
                     "creating the word list")
        (folder / ENGINE_FILE).write_text(json.dumps({"engine": NAME, "collection": collection, "alias": alias})
                                          + "\n", encoding="utf-8")
        return engine

    @classmethod
    def open(cls, folder: Path, options: Mapping | None = None) -> TypesenseEngine:
        """The engine of the generation ``folder``; IndexNotFound when it names no collection."""
        try:
            names = json.loads((folder / ENGINE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise IndexNotFound(f"no typesense collection is named in '{folder}'; "
                                "run 'newsearch index CORPUS' to build it") from None
        return cls(folder, Settings(options), names["collection"], names["alias"])

    def activate(self) -> None:
        """Point the index's alias at this generation's collection (apps searching the alias switch at once)."""
        self._call(lambda: self._client.aliases.upsert(self.alias, {"collection_name": self.collection}),
                   "pointing the alias at the new collection")

    @classmethod
    def discard(cls, folder: Path, options: Mapping | None = None) -> None:
        """Drop the collection of a generation that is no longer live (unless the alias still points at it)."""
        try:
            engine = cls.open(folder, options)
        except NewsearchError:
            return  # no collection named, or no cluster settings to reach it with
        try:
            target = engine._call(lambda: engine._client.aliases[engine.alias].retrieve(), "reading the alias",
                                  missing_ok=True)
        except NewsearchError:
            return  # the cluster is away: the collection stays, and is dropped by a later run
        if target and target.get("collection_name") == engine.collection:
            return
        for old in (engine._collection, engine._word_list):
            engine._call(old.delete, "dropping an old collection", missing_ok=True)

    def _call(self, action: Callable, what: str, missing_ok: bool = False):
        """One request with retries; a missing collection is IndexNotFound (or None with ``missing_ok``)."""
        try:
            return _retrying(action, what, self._settings)
        except ts_errors.ObjectNotFound:
            if missing_ok:
                return None
            raise IndexNotFound(f"the Typesense collection {self.collection} is gone; "
                                "rebuild the index with 'newsearch index --rebuild'") from None
        except (ts_errors.RequestMalformed, ts_errors.ObjectUnprocessable) as error:
            raise NewsearchError(f"Typesense refused a request ({what}): {error}") from None

    @property
    def _documents(self):
        return self._collection.documents

    # -- writing

    def write(self, upserts: Iterable[Article], deletes: Iterable[str], workers: int = 1) -> None:
        """Upsert in batches, then delete; each batch is retried on node failures.

        Typesense has no transactions: a run killed halfway leaves some batches written.
        The ids being written are listed in UNFINISHED_FILE first, and stay listed until
        ``settle`` (called once the write is recorded in the manifest), so the next update
        redoes them (see ``unfinished``): the collection converges.
        """
        replaced: set[str] = set()
        batch: list[dict] = []
        for article in upserts:
            if len(article.title) + len(article.body) > MAX_ARTICLE_CHARS:
                raise NewsearchError(f"article {quoted(article.id)} has more than {MAX_ARTICLE_CHARS // 2**20} MB "
                                     f"of text, the most the {NAME} engine takes; the write stopped there")
            replaced.add(article.id)
            batch.append(document(article))
            if len(batch) == BATCH:
                self._import(batch)
                batch = []
        if batch:
            self._import(batch)
        # deletes are read after every upsert (an id that moved to another file is not deleted)
        removed = [id for id in dict.fromkeys(deletes) if id not in replaced]
        self._note_unfinished(set(removed))
        for start in range(0, len(removed), DELETE_BATCH):
            ids = removed[start:start + DELETE_BATCH]
            values = ",".join(f"`{id}`" for id in ids if "`" not in id)
            self._call(lambda values=values: self._documents.delete({"filter_by": f"id:=[{values}]"}),
                       "deleting documents")

    def unfinished(self) -> set[str]:
        """The ids of writes not yet settled: a run writing them may have died halfway."""
        try:
            text = (self._folder / UNFINISHED_FILE).read_text(encoding="utf-8")
        except OSError:
            return set()
        return {json.loads(line) for line in text.splitlines() if line.endswith('"')}  # a cut last line is skipped

    def _note_unfinished(self, ids: set[str]) -> None:
        """List ``ids`` as being written (appended, one JSON string a line, flushed before the write)."""
        if ids:
            with open(self._folder / UNFINISHED_FILE, "a", encoding="utf-8") as journal:
                journal.write("".join(json.dumps(id) + "\n" for id in sorted(ids)))
                journal.flush()
                os.fsync(journal.fileno())

    def settle(self) -> None:
        """The writes so far are complete and recorded: forget them."""
        (self._folder / UNFINISHED_FILE).unlink(missing_ok=True)

    def _import(self, batch: list[dict]) -> None:
        """Upsert a batch of documents, their words first (a word listed that no document holds is harmless)."""
        self._note_unfinished({doc["id"] for doc in batch})
        words = {word for doc in batch for word in doc["words"]} - self._listed
        entries = [_lexicon_entry(word) for word in words]
        for start in range(0, len(entries), BATCH * 10):
            chunk = entries[start:start + BATCH * 10]
            self._call(lambda chunk=chunk: self._word_list.documents.import_(
                chunk, {"action": "upsert", "batch_size": BATCH * 10}), "importing words")
        self._listed |= words
        results = self._call(lambda: self._documents.import_(batch, {"action": "upsert", "batch_size": BATCH}),
                             "importing documents")
        failed = [(doc["id"], result.get("error")) for doc, result in zip(batch, results, strict=True)
                  if not result.get("success")]
        if failed:
            raise NewsearchError(f"Typesense refused {len(failed)} documents, first {failed[0][0]!r}: {failed[0][1]}")

    def optimize(self) -> None:
        """Nothing to do: Typesense keeps its in-memory index compact itself."""

    # -- reading

    def _search(self, params: dict) -> dict:
        params = {"query_by": "title_text,body_text", "query_by_weights": f"{int(WEIGHTS['title'])},1",
                  "exclude_fields": HIDDEN, "highlight_fields": "none", "num_typos": 0, "prefix": False,
                  "typo_tokens_threshold": 0, **params}
        return self._call(lambda: self._documents.search(params), "searching")

    def languages(self) -> tuple[str, ...]:
        """The stemming languages of the articles held, English first."""
        found = self._search({"q": "*", "per_page": 0, "facet_by": "analysis", "max_facet_values": 100})
        present = {count["value"] for facet in found.get("facet_counts", ()) for count in facet["counts"]}
        return tuple(sorted(present | {DEFAULT_LANGUAGE}, key=lambda code: (code != DEFAULT_LANGUAGE, code)))

    def lexicon(self, prefix: str, most: int) -> list[str]:
        """Words the index has held that start with ``prefix`` (up to ``most``, in no particular order)."""
        if "`" in prefix or not prefix:
            return []
        found: list[str] = []
        page = 1
        while len(found) < most:
            answer = self._call(lambda page=page: self._word_list.documents.search({
                "q": "*", "query_by": "word", "filter_by": f"prefixes:=`{prefix}`", "per_page": PAGE_MAX,
                "page": page, "include_fields": "word"}), "looking words up")
            found += [hit["document"]["word"] for hit in answer["hits"]]
            if len(answer["hits"]) < PAGE_MAX:
                break
            page += 1
        return found[:most]

    def close_words(self, word: str, distance: int) -> list[str]:
        """Words the index has held within ``distance`` typos of ``word`` (Typesense's typo search, up to
        a page of them; the caller checks the distance itself)."""
        if "`" in word or not word:
            return []
        answer = self._call(lambda: self._word_list.documents.search({
            "q": word, "query_by": "word", "num_typos": min(distance, 2), "prefix": False, "per_page": PAGE_MAX,
            "typo_tokens_threshold": PAGE_MAX, "max_candidates": PAGE_MAX, "drop_tokens_threshold": 0,
            "include_fields": "word", "highlight_fields": "none"}), "looking words up")
        return [hit["document"]["word"] for hit in answer["hits"]]

    def _translator(self) -> Translator:
        return Translator(self.lexicon, self.close_words, self.languages())

    def search(self, request: SearchRequest) -> Results:
        translator = self._translator()
        return self._results(translator.tiers(request.tiers), request, request.marks)

    def similar(self, id: str, request: SearchRequest, terms: int) -> Results | None:
        stored = self._stored(id)
        if stored is None:
            return None
        words = analysis.terms(f"{stored.get('title', '')}\n{stored.get('body', '')}",
                               stored.get("analysis", DEFAULT_LANGUAGE))
        counts: dict[str, int] = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
        documents = max(self.count(), 1)
        frequencies = self._frequencies(list(counts))
        weights = {word: count * _idf(documents, frequencies.get(word, 1)) for word, count in counts.items()}
        telling = [word for word, _ in sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:terms]]
        if not telling:
            return Results((), 0, request.page, request.limit, {})
        plan = Plan(filter=all_of([words_clause("words", telling, True), words_clause("key", [id], False)]),
                    optional=telling)
        return self._results([plan], request, TermMarks(words=frozenset(telling)))

    def mark(self, id: str, request: SearchRequest) -> tuple[Article, Snippet, Snippet] | None:
        stored = self._stored(id)
        if stored is None:
            return None
        language = stored.get("analysis", "")
        marked = [mark_all(value, _spans(value[:MARK_CHARS], language,
                                         _term_marks(Marks.of(request.tiers[0], field), language)))
                  for field, value in (("title", stored.get("title", "")), ("body", stored.get("body", "")))]
        return article_of(stored), marked[0], marked[1]

    def _frequencies(self, words: list[str]) -> dict[str, int]:
        """How many documents hold each word (a multi-search request per MULTI_SEARCHES words)."""
        found: dict[str, int] = {}
        for start in range(0, len(words), MULTI_SEARCHES):
            chunk = [word for word in words[start:start + MULTI_SEARCHES] if "`" not in word]
            searches = [{"collection": self.collection, "q": "*", "query_by": "title_text", "per_page": 0,
                         "filter_by": f"words:=`{word}`"} for word in chunk]
            answer = self._call(lambda searches=searches: self._client.multi_search.perform({"searches": searches}, {}),
                                "counting words")
            found.update({word: result.get("found", 0)
                          for word, result in zip(chunk, answer["results"], strict=True)})
        return found

    def _results(self, plans: list[Plan], request: SearchRequest, marks: Marks | TermMarks) -> Results:
        """One page of the tiers' hits, each tier ranked after the one before, with facets and snippets."""
        condition = _request_filter(request)
        for plan in plans:
            plan.filter = _joined(plan.filter, condition)
        rounds = [round for plan in plans if plan.filter is not False for round in self._rounds(plan, request)]
        check_deadline(request.deadline)  # a server's search cannot be stopped: checked between its requests
        first, stop = (request.page - 1) * request.limit, request.page * request.limit
        hits: list[tuple[int, dict]] = []  # (rounds after the hit's own, hit)
        total, stories = 0, None
        copies: Counter[str] = Counter()
        if request.collapse:
            hits, total, stories, copies = self._stories(rounds, first, stop)
            rounds = []
        for number, (params, count) in enumerate(rounds):
            check_deadline(request.deadline)
            wanted_from, wanted_to = max(first - total, 0), stop - total if count is None else min(stop - total, count)
            if wanted_from < wanted_to:
                found, count = self._slice(params, wanted_from, wanted_to)  # the count comes with the hits
                hits.extend((len(rounds) - 1 - number, hit) for hit in found)
            elif count is None:
                count = self._search({**params, "per_page": 0})["found"]
            total += count
        check_deadline(request.deadline)
        facets = self._facets(plans, request.facets, request.facet_values) if request.facets else {}
        shown = []
        for later, hit in hits:
            stored = json.loads(hit["document"]["article"])
            snippet = _snippet(stored, marks, request.snippet_chars) if request.snippets else Snippet()
            # Typesense's text match (below 2**64), each round of a search above the ones after it
            score = 0.0 if request.sort == "date" else later + float(hit.get("text_match") or 0) / 2**64
            duplicates = copies.get(hit["document"]["group_key"], 1) - 1 if request.collapse else 0
            shown.append(_hit(stored, score, snippet, duplicates))
        return Results(tuple(shown), total, request.page, request.limit, facets, stories=stories)

    def _stories(self, rounds: list[tuple[dict, int | None]], first: int, stop: int):
        """A page of stories (newsearch.query.collapse) over the searches of a request's tiers: (hits, each
        with the rounds after its own; matching documents; matching stories; group -> matching documents)."""
        def rank(number: int, wanted: int):
            found, count = self._slice(rounds[number][0], 0, wanted)
            return [(len(rounds) - 1 - number, hit) for hit in found], count

        def counts(number: int) -> tuple[Counter, int]:
            return self._group_counts(rounds[number][0])

        page = page_of_stories(range(len(rounds)), first, stop, rank, lambda hit: hit[1]["document"]["group_key"],
                               counts)
        return page.hits, page.total, page.stories, page.copies

    def _group_counts(self, params: dict) -> tuple[Counter, int]:
        """(group -> matching documents, for every group with two or more; the matching documents of the
        groups not listed, each alone in its group), as a facet on ``group_key`` growing until its last
        value counts one document."""
        size = GROUP_VALUES
        while True:
            answer = self._search({**params, "per_page": 0, "facet_by": "group_key", "max_facet_values": size})
            counted: list[dict] = next((facet["counts"] for facet in answer.get("facet_counts", ())
                            if facet["field_name"] == "group_key"), [])
            listed = Counter({count["value"]: count["count"] for count in counted})
            if len(counted) < size or counted[-1]["count"] == 1 or size >= MAX_GROUP_VALUES:
                return listed, answer["found"] - sum(listed.values())
            size *= 4

    def _rounds(self, plan: Plan, request: SearchRequest) -> list[tuple[dict, int | None]]:
        """The searches that together return a tier's matches, each with how many it finds (None: not
        counted yet, the search that fetches its hits will say).

        A tier whose q holds only optional words lets Typesense drop words from q; it drops
        them from the right, then from the left, so articles holding none of the first and
        last words are missed: a further round searches those, ranked by the middle words.
        """
        sort = {"sort_by": "recency:asc"} if request.sort == "date" else {}
        base = {**sort, **({"filter_by": plan.filter} if plan.filter is not True else {})}
        if plan.required or not plan.optional:
            return [({**base, "q": plan.q(), "drop_tokens_threshold": 0}, None)]
        exact = self._search({**base, "q": plan.q([]), "per_page": 0})["found"]
        rounds, found, words = [], 0, list(plan.optional)
        excluded: list[str] = []
        while found < exact:
            filter_by = _joined(plan.filter, _none_of(excluded))
            params = {**sort, "filter_by": filter_by, "q": plan.q(words),
                      "drop_tokens_threshold": 1_000_000_000} if filter_by is not True else {
                **sort, "q": plan.q(words), "drop_tokens_threshold": 1_000_000_000}
            if filter_by is False:
                break
            count = self._search({**params, "per_page": 0})["found"]
            rounds.append((params, count))
            found += count
            if not words:
                break
            excluded += [words[0], words[-1]]
            words = words[1:-1]
        return rounds

    def _slice(self, params: dict, start: int, stop: int) -> tuple[list[dict], int]:
        """Hits ``start`` to ``stop`` of one search, fetched in as few pages as Typesense allows, and how
        many the search finds in all."""
        size = min(stop - start, PAGE_MAX)
        page = start // size + 1
        offset = start - (page - 1) * size
        hits: list[dict] = []
        while True:
            answer = self._search({**params, "per_page": size, "page": page})
            hits.extend(answer["hits"])
            if len(answer["hits"]) < size or len(hits) >= offset + stop - start:
                break
            page += 1
        return hits[offset:offset + stop - start], answer["found"]

    def _facets(self, plans: list[Plan], names: tuple[str, ...], kept: int | None = FACET_VALUES) -> dict:
        """Facet counts over every article the tiers match (a single tier's phrases included)."""
        facet_by = ",".join(FACET_FIELDS[name] for name in names)
        if len(plans) == 1:
            plan = plans[0]
            params = {"q": plan.q(), "drop_tokens_threshold": 0 if plan.required else 1_000_000_000}
            if not plan.required:
                params["q"] = "*"
            condition = plan.filter
        else:
            params = {"q": "*"}
            condition = any_of([plan.filter for plan in plans])
        if condition is False:
            return dict.fromkeys(names, ())
        if condition is not True:
            params["filter_by"] = condition
        found = self._search({**params, "per_page": 0, "facet_by": facet_by,
                              "max_facet_values": 100_000 if kept is None else kept * 5})
        by_field = {facet["field_name"]: facet["counts"] for facet in found.get("facet_counts", ())}
        facets = {}
        for name in names:
            counts = [(count["value"], count["count"]) for count in by_field.get(FACET_FIELDS[name], ())
                      if count["value"]]
            facets[name] = tuple(sorted(counts, key=lambda item: (-item[1], item[0]))[:kept])
        return facets

    def variants(self, word: str, distance: int) -> tuple[str, dict[str, int]]:
        analysed = analysis.query_terms(word, self.languages())
        if len(analysed) != 1:
            return "", {}
        stems = list(analysed[0])
        near: dict[str, int] = {}
        for stem in stems:
            close = [term for term in self.close_words(stem, distance)
                     if abs(len(term) - len(stem)) <= distance and edit_distance(term, stem) <= distance]
            near.update(self._frequencies(close))
            near.setdefault(stem, 0)
        return stems[0], near

    def frequencies(self, words: list[str]) -> dict[str, int]:
        languages = self.languages()
        stems = {word: analysed[0] if len(analysed := analysis.query_terms(word, languages)) == 1 else ()
                 for word in words}
        counted = self._frequencies(sorted({stem for found in stems.values() for stem in found}))
        return {word: max((counted.get(stem, 0) for stem in found), default=0) for word, found in stems.items()}

    def forms(self, word: str, documents: int = 3) -> Counter:
        written: Counter = Counter()
        analysed = analysis.query_terms(word, self.languages())
        for stem in analysed[0] if len(analysed) == 1 and "`" not in word else ():
            found = self._search({"q": "*", "filter_by": f"body_words:=`{stem}`", "per_page": documents})["hits"]
            for hit in found:
                stored = json.loads(hit["document"]["article"])
                written.update(analysis.written_forms(scanned(stored.get("body", "")), stem,
                                                      stored.get("analysis", "")))
        return written

    def _stored(self, id: str) -> dict | None:
        """The stored article with this id (found by filter: an id may hold characters a URL path cannot)."""
        if "`" in id:
            return None
        found = self._search({"q": "*", "filter_by": f"key:=`{id}`", "per_page": 1})["hits"]
        return json.loads(found[0]["document"]["article"]) if found else None

    def get(self, id: str) -> Article | None:
        stored = self._stored(id)
        return article_of(stored) if stored is not None else None

    def _export(self, fields: str) -> Iterator[dict]:
        text = self._call(lambda: self._documents.export({"include_fields": fields}), "exporting documents")
        return (json.loads(line) for line in text.splitlines() if line.strip())

    def articles(self) -> Iterator[Article]:
        return (article_of(json.loads(document["article"])) for document in self._export("article"))

    def ids(self) -> set[str]:
        return {document["id"] for document in self._export("id")}

    def count(self) -> int:
        return self._search({"q": "*", "per_page": 0})["found"]  # a search-only key may not read the collection

    def stats(self) -> EngineStats:
        found = self._search({"q": "*", "per_page": 0, "facet_by": "f_source", "max_facet_values": 10_000})
        sources = {count["value"]: count["count"] for facet in found.get("facet_counts", ())
                   for count in facet["counts"] if count["value"]}
        dated = [self._search({"q": "*", "filter_by": "dated:=true", "per_page": 1, "sort_by": f"recency:{order}",
                               "include_fields": "published"})["hits"] for order in ("desc", "asc")]
        first, last = (_moment(hits[0]["document"]["published"]) if hits else None for hits in dated)
        return EngineStats(documents=found["found"],
                           sources=dict(sorted(sources.items(), key=lambda item: (-item[1], item[0]))),
                           first_published=first, last_published=last)

    def close(self) -> None:
        """Nothing to release: requests hold no connection between calls."""


def _idf(documents: int, frequency: int) -> float:
    return math.log(1 + documents / max(frequency, 1))


def _joined(first, second):
    return all_of([first, second])


def _none_of(words: list[str]):
    return words_clause("words", words, False) if words else True


def _request_filter(request: SearchRequest):
    """The request's own filters (since, until, sources) as one filter_by expression."""
    parts = []
    if request.since or request.until:
        parts.append(date_range(request.since, request.until))
    if request.sources:
        names = [_whole(source) for source in request.sources]
        parts.append(any_of([words_clause("source_names", [name], True) for name in names if name]))
    return all_of(parts)


def _whole(value: str) -> str:
    """A name as its whole indexed value: lower-cased, accents folded."""
    return " ".join(fold(value).split())


def _names(values: Iterable[str]) -> list[str]:
    """Names as indexed: each whole, and word by word."""
    return list(dict.fromkeys(term for value in values if value for term in analysis.name_terms(value)))


def document(article: Article) -> dict:
    """The Typesense document of an article."""
    language = stemming_language(analysis_language(article.language, article.body or article.title))
    title = analysis.terms(article.title, language)
    body = analysis.terms(article.body, language)
    values = article.to_dict()
    values["published"] = article.published.isoformat() if article.published else None
    values["analysis"] = language
    values["group"] = article.group
    fields = {
        "id": article.id, "key": article.id, "title_text": " ".join(title), "body_text": " ".join(body),
        "words": list(dict.fromkeys(title + body)), "title_words": list(dict.fromkeys(title)),
        "body_words": list(dict.fromkeys(body)),
        "title_pairs": list(dict.fromkeys(pairs(title))), "body_pairs": list(dict.fromkeys(pairs(body))),
        "authors_names": _names(article.authors), "source_names": _names([article.source]),
        "language_names": _names([article.language]), "categories_names": _names(article.categories),
        "analysis": language, "url": article.url or "", "path": article.path or "",
        "group_key": f"group:{article.group}" if article.group else f"id:{article.id}",
        "f_source": article.source or "", "f_authors": [a for a in article.authors if a],
        "f_language": article.language or "", "f_categories": [c for c in article.categories if c],
        "published": 0, "dated": article.published is not None, "recency": UNDATED,
        "article": json.dumps(values, ensure_ascii=False),
    }
    for unit in ("day", "week", "month", "year"):
        fields[f"f_{unit}"] = ""
    if article.published is not None:
        moment = to_utc_naive(article.published)
        published = seconds(moment)
        fields["published"] = published
        fields["recency"] = -published
        day = article.published if not isinstance(article.published, dt.datetime) else article.published.date()
        for unit in ("day", "week", "month", "year"):
            fields[f"f_{unit}"] = date_bucket(day, unit)
    return fields


def article_of(values: dict) -> Article:
    """The Article back from its stored JSON."""
    return Article.from_dict(values)


def _moment(value: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=value)


def _term_marks(marks: Marks, language: str) -> TermMarks:
    """A query's marks in the terms of articles in ``language``."""
    return marks.analysed(lambda text: [(term, position) for _, _, term, position in analysis.tokens(text, language)],
                          fold)


def _spans(text: str, language: str, marks: TermMarks) -> list:
    """Where the query's words and phrases stand in ``text``, analysed in ``language``."""
    return marks.spans(analysis.tokens(text, language))


def _snippet(stored: dict, marks: Marks | TermMarks, chars: int) -> Snippet:
    """The body's best sentences with the query's words and phrases marked (see snippets.snippet_in)."""
    language = stored.get("analysis", "")
    term_marks = marks if isinstance(marks, TermMarks) else _term_marks(marks, language)
    terms = {*term_marks.words, *term_marks.prefixes, *(word for word, _ in term_marks.fuzzy)}
    return snippet_in(stored.get("body", ""), terms, lambda part: _spans(part, language, term_marks), chars=chars)


def _hit(stored: dict, score: float, snippet: Snippet, duplicates: int = 0) -> Hit:
    article = article_of(stored)
    return Hit(id=article.id, score=score, title=article.title, source=article.source,
               published=article.published, url=article.url, path=article.path, authors=article.authors,
               language=article.language, snippet=snippet, group=article.group, duplicates=duplicates)
