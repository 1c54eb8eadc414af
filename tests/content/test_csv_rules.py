"""The speech CSV's rules, without a database: encodings, quoting, line endings, columns, row
numbers, every row check (ids too), tag names, formula escaping, and the XLSX reading."""

import io
import re
import uuid
import zipfile
from pathlib import PurePosixPath
from types import SimpleNamespace

import pytest

from content.csv_export import export_csv_text, iter_export_lines, speech_row
from content.csv_format import (
    CurrentSpeech,
    RowError,
    check_rows,
    escape_cell,
    is_xlsx,
    normalise_filename,
    read_csv,
    read_table,
    read_xlsx,
    speech_ids_of,
    split_tags,
    unescape_cell,
)
from content.exceptions import InvalidCsv
from content.rules import batch_audio_prefixes, normalise_tag_name, speech_audio_key, tag_name_key
from tests.imports.helpers import xlsx_bytes


def test_bom_crlf_quoted_commas_and_newlines_are_read_with_spreadsheet_row_numbers():
    data = ("\ufeffaudio_filename,text,level,type,tags\r\n"
            'a.wav,"Hello, world",A1,question,"Basics,Greetings"\r\n'
            'b.wav,"Line one\r\nline two",A2,answer,\r\n'
            "\r\n"
            "c.wav,Plain,B1,,\r\n").encode()

    records = read_csv(data)

    assert [record.row for record in records] == [2, 3, 5]
    assert records[0].values["text"] == "Hello, world"
    assert records[0].values["tags"] == "Basics,Greetings"
    assert records[1].values["text"] == "Line one\r\nline two"


def test_columns_in_any_order_extra_columns_ignored_header_case_and_spaces_forgiven():
    data = b" Level ,notes,TEXT,audio_filename\nA1,ignore me,Hi there,a.wav\n"

    records = read_csv(data)

    assert records[0].values == {"level": "A1", "text": "Hi there", "audio_filename": "a.wav"}
    rows, errors = check_rows(records, {"a.wav"})
    assert errors == []
    assert rows[0].type == "answer" and rows[0].tags == []


def test_short_rows_have_their_missing_cells_reported():
    rows, errors = check_rows(read_csv(b"audio_filename,text,level\na.wav\n"), {"a.wav"})

    assert rows == []
    assert [(e.row, e.error) for e in errors] == [
        (2, "Missing required field 'text'"), (2, "Missing required field 'level'")]


@pytest.mark.parametrize(("data", "message"), [
    (b"audio_filename,text\na.wav,hi\n", "level"),
    (b"file,text,level\na.wav,hi,A1\n", "audio_filename"),
    (b"", "empty"),
    (b"\n\n", "empty"),
    ("audio_filename,text,level\na.wav,caf\u00e9,A1\n".encode("latin-1"), "UTF-8"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64", "UTF-8"),
    (b"audio_filename,text,level\na.wav,\x00\x00,A1\n", "binary"),
    (b'audio_filename,text,level\na.wav,"unterminated,A1\n', "cannot be read"),
    (b"audio_filename,text,level,level\na.wav,hi,A1,A2\n", "repeats"),
])
def test_unreadable_files_and_missing_columns_are_invalid_csv(data, message):
    with pytest.raises(InvalidCsv) as caught:
        read_csv(data)

    assert message in caught.value.detail


def test_missing_columns_are_named():
    with pytest.raises(InvalidCsv) as caught:
        read_csv(b"audio_filename\na.wav\n")

    assert caught.value.code == "csv_missing_columns"
    assert caught.value.errors == {"missing_columns": ["text", "level"]}


def test_every_row_rule_with_its_row_number(settings):
    settings.IMPORT_TEXT_MAX_LENGTH = 20
    data = (
        "audio_filename,text,level,type,tags\n"
        "a.wav,Fine,A1,question,Basics\n"          # 2: valid
        ",No file,A1,,\n"                          # 3: missing audio_filename
        "b.wav,,A1,,\n"                            # 4: missing text
        "c.wav,No level,,,\n"                      # 5: missing level
        "missing.wav,Unknown file,A1,,\n"          # 6: not in session
        "d.wav,Bad level,D1,,\n"                   # 7: invalid level
        "e.wav,Bad type,A1,statement,\n"           # 8: invalid type
        "a.wav,Repeat,A1,,\n"                      # 9: duplicate filename
        "f.wav,This text is far too long,A1,,\n"   # 10: text too long
        f"g.wav,Long tag,A1,,{'x' * 101}\n"        # 11: tag name too long
        "h.wav,lower case ok,b2,Answer,\" a , b ,,A\"\n"  # 12: valid (case forgiven, tags trimmed)
    ).encode()

    rows, errors = check_rows(read_csv(data), {f"{c}.wav" for c in "abcdefgh"})

    assert [(e.row, e.error) for e in errors] == [
        (3, "Missing required field 'audio_filename'"),
        (4, "Missing required field 'text'"),
        (5, "Missing required field 'level'"),
        (6, "Audio file 'missing.wav' not found in upload session"),
        (7, "Invalid level 'D1'. Must be one of: A1, A2, B1, B2, C1"),
        (8, "Invalid type 'statement'. Must be one of: question, answer"),
        (9, "Duplicate audio_filename 'a.wav' (already used in row 2)"),
        (10, "Text is too long (25 characters; at most 20)"),
        (11, f"Tag name '{'x' * 40}...' is too long (at most 100 characters)"),
    ]
    assert [(row.row, row.level, row.type, row.tags) for row in rows] == [
        (2, "A1", "question", ["Basics"]), (12, "B2", "answer", ["a", "b"])]


def test_row_numbers_count_multi_line_records_as_one_row():
    data = b'audio_filename,text,level\na.wav,"two\nlines",A1\nb.wav,ok,Z9\n'

    _rows, errors = check_rows(read_csv(data), {"a.wav", "b.wav"})

    assert [(e.row, e.error[:13]) for e in errors] == [(3, "Invalid level")]


def test_tags_split_on_commas_trimmed_and_deduplicated_ignoring_case():
    assert split_tags(" Present  Tense , Basics,,basics, ") == ["Present Tense", "Basics"]


@pytest.mark.parametrize("text", ["=1+2", "+44 20", "-minus", "@home", "'=already quoted", "''=x", "\tTab",
                                  "plain", "'plain quote", ""])
def test_formula_escaping_round_trips(text):
    escaped = escape_cell(text)

    assert unescape_cell(escaped) == text
    assert escaped[:1] not in {"=", "+", "-", "@", "\t"}


def test_import_unescapes_a_quoted_formula_cell():
    records = read_csv(b"audio_filename,text,level\na.wav,'=SUM(A1),A1\n")

    assert records[0].values["text"] == "=SUM(A1)"


def test_unicode_file_names_compare_in_their_composed_form():
    decomposed = "cafe\u0301.wav"  # what macOS hands out

    assert normalise_filename(f"  {decomposed} ") == "caf\u00e9.wav"
    rows, errors = check_rows(read_csv(f"audio_filename,text,level\n{decomposed},Hi,A1\n".encode()), {"caf\u00e9.wav"})
    assert errors == [] and rows[0].audio_filename == "caf\u00e9.wav"


# --- the tag-naming rule every writer shares -----------------------------------------------

@pytest.mark.parametrize(("name", "stored", "key"), [
    ("  Past   Simple ", "Past Simple", "past simple"),
    ("FOOD", "FOOD", "food"),
    ("Food\tand\nDrink", "Food and Drink", "food and drink"),
    ("   ", "", ""),
])
def test_tag_names_collapse_whitespace_and_compare_ignoring_case(name, stored, key):
    assert normalise_tag_name(name) == stored
    assert tag_name_key(name) == key


def test_a_csv_cell_names_tags_by_the_same_rule():
    assert split_tags("Food ,  past  simple,FOOD,Past Simple") == ["Food", "past simple"]
    assert [tag_name_key(name) for name in split_tags("Food,  FOOD ")] == ["food"]


# --- the audio key layout ------------------------------------------------------------------

def test_speech_audio_keys_live_under_the_level_and_keep_a_readable_name():
    key = speech_audio_key("B2", "Question 1.WAV")

    assert re.fullmatch(r"audio/B2/Question 1-[0-9a-f]{12}\.wav", key)
    assert key != speech_audio_key("B2", "Question 1.WAV")


def test_a_key_made_from_an_exported_name_does_not_grow():
    first = speech_audio_key("A1", "hello.mp3")
    again = speech_audio_key("A1", PurePosixPath(first).name)

    assert re.fullmatch(r"audio/A1/hello-[0-9a-f]{12}\.mp3", again)
    assert speech_audio_key("A1", "-0123456789ab.mp3").startswith("audio/A1/audio-")


def test_a_batch_keeps_its_keys_in_its_own_folder_per_level_and_lists_those_folders():
    keys = [speech_audio_key(level, "clip.WAV", batch="0f3a9c") for level in ("A1", "B2", "B2")]
    prefixes = batch_audio_prefixes("0f3a9c", ["A1", "A2", "B1", "B2", "C1"])

    assert re.fullmatch(r"audio/B2/0f3a9c/clip-[0-9a-f]{12}\.wav", keys[1])
    assert prefixes == ["audio/A1/0f3a9c/", "audio/A2/0f3a9c/", "audio/B1/0f3a9c/", "audio/B2/0f3a9c/",
                        "audio/C1/0f3a9c/"]
    assert all(any(key.startswith(prefix) for prefix in prefixes) for key in keys)
    # Another batch's folders, or keys made without a batch, are never inside them.
    others = [speech_audio_key("A1", "clip.wav"), speech_audio_key("A1", "clip.wav", batch="0f3a9c0")]
    assert not any(key.startswith(prefix) for key in others for prefix in prefixes)


@pytest.mark.parametrize("batch", ["../uploads", "a/b", ".", "x" * 65, "caf\u00e9"])
def test_a_batch_is_one_plain_folder_name(batch):
    with pytest.raises(ValueError):
        speech_audio_key("A1", "clip.wav", batch=batch)
    with pytest.raises(ValueError):
        batch_audio_prefixes(batch, ["A1"])


# --- the export writes what the import reads ------------------------------------------------

SPEECH_ID = uuid.UUID("0b7e6c52-5d0e-4b8e-9a53-3f1c2a9d8e11")


def _speech(text: str, tags: list[str], audio: str = "audio/A1/clip-0123456789ab.mp3", level="A1", type="question",
            id=SPEECH_ID):
    # Shaped like a Speech with its tags prefetched: the export reads nothing else.
    return SimpleNamespace(id=id, audio=SimpleNamespace(name=audio), text=text, level=level, type=type,
                           tags=SimpleNamespace(all=lambda: [SimpleNamespace(name=name) for name in tags]))


def test_export_escapes_formulas_and_the_import_reads_the_original_back():
    # Without ids (an empty cell) the rows are new speeches: checked here without a database.
    speeches = [_speech("=SUM(A1:A9)", ["@home", "Maths"], id=""),
                _speech("Line one\nline, two", [], level="C1", id="")]

    text = export_csv_text(speeches)

    # The id column comes first (deliberately: issue 15), the import's columns after it.
    assert text.startswith("\ufeffid,audio_filename,text,level,type,tags\r\n")
    assert speech_row(_speech("=SUM(A1:A9)", ["@home", "Maths"])) == [
        str(SPEECH_ID), "clip-0123456789ab.mp3", "'=SUM(A1:A9)", "A1", "question", "'@home,Maths"]
    records = read_csv(text.encode())
    rows, errors = check_rows(records, {"clip-0123456789ab.mp3", "other.mp3"})
    assert [(e.row, e.error[:9]) for e in errors] == [(3, "Duplicate")]
    assert (rows[0].text, rows[0].tags) == ("=SUM(A1:A9)", ["@home", "Maths"])
    assert records[1].values["text"] == "Line one\nline, two"


def test_export_lines_stream_one_row_at_a_time():
    lines = list(iter_export_lines([_speech("a", []), _speech("b", [])], bom=False))

    assert lines[0] == "id,audio_filename,text,level,type,tags\r\n"
    assert len(lines) == 3


# --- ids: updates and unchanged rows (issue 15) ------------------------------------------------

def _current(**changes) -> CurrentSpeech:
    values = {"id": SPEECH_ID, "audio_filename": "clip-0123456789ab.mp3", "text": "Hello", "level": "A1",
              "type": "question", "tags": ("Food", "Travel")}
    return CurrentSpeech(**{**values, **changes})


def test_an_id_row_equal_to_its_speech_is_unchanged_whatever_the_case_and_tag_order():
    data = (f"id,audio_filename,text,level,type,tags\n"
            f"{SPEECH_ID},clip-0123456789ab.mp3, Hello ,a1,Question,\"travel, food\"\n").encode()

    rows, errors = check_rows(read_csv(data), set(), {SPEECH_ID: _current()})

    assert errors == []
    assert [(row.action, row.speech_id, row.new_audio) for row in rows] == [("unchanged", SPEECH_ID, False)]


@pytest.mark.parametrize(("cells", "why"), [
    ("clip-0123456789ab.mp3,Hello!,A1,question,\"Food,Travel\"", "text"),
    ("clip-0123456789ab.mp3,Hello,B1,question,\"Food,Travel\"", "level"),
    ("clip-0123456789ab.mp3,Hello,A1,answer,\"Food,Travel\"", "type"),
    ("clip-0123456789ab.mp3,Hello,A1,question,Food", "tags"),
    ("new.mp3,Hello,A1,question,\"Food,Travel\"", "audio uploaded in the session"),
])
def test_an_id_row_that_differs_in_anything_is_an_update(cells, why):
    rows, errors = check_rows(read_csv(f"id,audio_filename,text,level,type,tags\n{SPEECH_ID},{cells}\n".encode()),
                              {"new.mp3"}, {SPEECH_ID: _current()})

    assert errors == [] and rows[0].action == "update", why
    assert rows[0].new_audio is (why == "audio uploaded in the session")


def test_id_rules_with_the_cell_of_each_error():
    other = uuid.UUID("11111111-2222-4333-8444-555555555555")
    archived = uuid.UUID("99999999-2222-4333-8444-555555555555")
    data = ("id,audio_filename,text,level\n"
            "nonsense,,A,A1\n"                      # 2: malformed
            f"{other},,B,A1\n"                      # 3: unknown
            f"{archived},,C,A1\n"                   # 4: archived
            f"{SPEECH_ID},,D,A1\n"                  # 5: fine (an empty audio_filename keeps the audio)
            f"{SPEECH_ID},,E,A1\n"                  # 6: repeated
            f"{SPEECH_ID.hex},,F,A1\n"              # 7: the same id spelt without dashes
            ",,G,A1\n").encode()                    # 8: a new row still needs its audio

    rows, errors = check_rows(read_csv(data), set(), {SPEECH_ID: _current(), archived: _current(id=archived,
                                                                                                 archived=True)})

    assert [(e.row, e.column, e.value, e.error[:20]) for e in errors] == [
        (2, "id", "nonsense", "Invalid id 'nonsense"),
        (3, "id", str(other), f"Speech '{str(other)[:12]}"),
        (4, "id", str(archived), f"Speech '{str(archived)[:12]}"),
        (6, "id", str(SPEECH_ID), "Duplicate id '0b7e6c"),
        (7, "id", SPEECH_ID.hex, "Duplicate id '0b7e6c"),
        (8, "audio_filename", "", "Missing required fie"),
    ]
    assert [(row.row, row.action, row.audio_filename) for row in rows] == [(5, "update", "")]


def test_an_error_shows_at_most_200_characters_of_its_cell(settings):
    settings.IMPORT_TEXT_MAX_LENGTH = 250
    _rows, errors = check_rows(read_csv(f"audio_filename,text,level\na.wav,{'x' * 300},A1\n".encode()), {"a.wav"})

    item = errors[0].as_dict()
    assert item["column"] == "text" and item["value"] == "x" * 200 + "…"
    assert RowError(2, "whole row").as_dict() == {"row": 2, "error": "whole row"}


def test_the_speech_ids_to_look_up_are_the_well_formed_ones():
    records = read_csv(f"id,audio_filename,text,level\n{SPEECH_ID},,a,A1\nbad,,b,A1\n,x.wav,c,A1\n".encode())

    assert speech_ids_of(records) == {SPEECH_ID}


# --- XLSX reading -----------------------------------------------------------------------------

def test_xlsx_rows_keep_the_sheets_numbers_and_cells_become_text():
    data = xlsx_bytes([
        ["Audio_Filename", "text", "level", "notes"],
        ["a.wav", 12.0, "A1", "ignored"],
        ["b.wav", 2.5, "B1"],
        ["c.wav", "=not a formula", True, None],
    ], blank_rows_before={2: 2})

    records = read_table(data)

    assert [record.row for record in records] == [2, 5, 6]
    assert [record.values for record in records] == [
        {"audio_filename": "a.wav", "text": "12", "level": "A1"},
        {"audio_filename": "b.wav", "text": "2.5", "level": "B1"},
        {"audio_filename": "c.wav", "text": "=not a formula", "level": "TRUE"},
    ]


def test_xlsx_is_told_by_content_or_name_and_a_csv_quote_is_not_removed_from_it():
    data = xlsx_bytes([["audio_filename", "text", "level"], ["a.wav", "'=quoted", "A1"]])

    assert is_xlsx(data) and is_xlsx(b"", "EDITS.XLSX") and not is_xlsx(b"audio_filename", "x.csv")
    assert read_table(data, "speeches.csv")[0].values["text"] == "'=quoted"


@pytest.mark.parametrize(("data", "code"), [
    (b"PK\x03\x04garbage", "invalid_xlsx"),
    (b"", "invalid_xlsx"),
])
def test_unreadable_xlsx_is_invalid(data, code):
    with pytest.raises(InvalidCsv) as caught:
        read_table(data, "x.xlsx")

    assert caught.value.code == code


def test_an_xlsx_with_only_blank_rows_or_no_header_is_refused():
    with pytest.raises(InvalidCsv) as caught:
        read_xlsx(xlsx_bytes([[None, ""]]))
    assert "empty" in caught.value.detail
    with pytest.raises(InvalidCsv) as caught:
        read_xlsx(xlsx_bytes([["text", "level"], ["Hi", "A1"]]))
    assert caught.value.code == "csv_missing_columns"


def test_an_xlsx_that_would_unpack_far_beyond_its_size_is_refused_unread(settings):
    settings.IMPORT_CSV_MAX_BYTES = 10_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * 5_000_000)

    with pytest.raises(InvalidCsv) as caught:
        read_xlsx(buffer.getvalue())

    assert caught.value.code == "invalid_xlsx"
