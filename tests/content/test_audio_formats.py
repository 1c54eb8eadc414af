import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.audio import detect_audio_format, sniff_uploaded_file
from tests.content.factories import EMPTY_WAV


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 6, "mp3"),
        (b"\xff\xfb\x90\x64" + b"\x00" * 12, "mp3"),  # MPEG-1 layer III frame, no ID3 tag
        (b"\xff\xf3\x48\xc4" + b"\x00" * 12, "mp3"),  # MPEG-2 layer III
        (EMPTY_WAV[:16], "wav"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "m4a"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", "m4a"),
        (b"\xff\xf1\x50\x80" + b"\x00" * 12, None),  # ADTS AAC: "layer" bits 00
        (b"OggS\x00\x02" + b"\x00" * 10, None),
        (b"RIFF\x00\x00\x00\x00AVI LIST", None),
        (b"%PDF-1.7\n", None),
        (b"", None),
    ],
)
def test_detect_audio_format(head, expected):
    assert detect_audio_format(head) == expected


def test_sniffing_an_upload_leaves_it_readable_from_the_start():
    upload = SimpleUploadedFile("x.bin", EMPTY_WAV)
    upload.read(5)

    assert sniff_uploaded_file(upload) == "wav"
    assert upload.read() == EMPTY_WAV
