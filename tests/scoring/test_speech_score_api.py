"""POST /api/v1/speech/score with the local engine, on real recordings (see audio/make_clips.sh)."""

import re
import statistics

import pytest

from tests.scoring.helpers import (
    REFERENCE,
    REFERENCE_WORDS,
    URL,
    clip,
    pcm_of,
    post_score,
    silence,
    upload,
    wav_bytes,
    with_white_noise,
    words,
)

pytestmark = pytest.mark.django_db

SCORE_FIELDS = {"recognized_text", "pronunciation_score", "accuracy_score", "fluency_score",
                "completeness_score", "word_scores", "provider"}


@pytest.mark.parametrize("name, content_type", [
    ("right.wav", "audio/wav"), ("right.mp3", "audio/mpeg"), ("right.m4a", "audio/mp4"),
])
def test_the_right_sentence_scores_high_in_every_accepted_format(auth_client, name, content_type):
    response = post_score(auth_client, clip(name), name=name, content_type=content_type)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == SCORE_FIELDS
    assert body["provider"] == "local"
    assert body["pronunciation_score"] >= 80
    for field in ("accuracy_score", "fluency_score", "completeness_score"):
        assert 80 <= body[field] <= 100
    assert [w["word"] for w in body["word_scores"]] == REFERENCE_WORDS
    assert all(0 <= w["score"] <= 100 for w in body["word_scores"])
    assert body["recognized_text"].lower().split() == [w.lower() for w in REFERENCE_WORDS]
    assert words(body)["coffee"]["error_type"] == "none"


def test_one_changed_word_is_flagged_as_that_word(auth_client):
    right = post_score(auth_client, clip("right.wav")).json()
    response = post_score(auth_client, clip("changed.wav"))  # "... a cup of water please"

    assert response.status_code == 200
    body = response.json()
    coffee = words(body)["coffee"]
    assert coffee["error_type"] == "mispronunciation"
    assert coffee["score"] < 50
    flagged = {w for w, ws in words(body).items() if ws["error_type"] != "none"}
    assert flagged == {"coffee"}
    heard = body["recognized_text"].lower().split()
    assert "coffee" not in heard
    assert heard[:8] == ["i", "would", "like", "to", "order", "a", "cup", "of"] and heard[-1] == "please"
    assert len(heard) == 10  # the word said instead of "coffee" is transcribed in its place
    assert body["accuracy_score"] < right["accuracy_score"]
    # One wrong word of ten costs clearly more than its tenth of the accuracy.
    assert right["pronunciation_score"] - body["pronunciation_score"] > 16


@pytest.mark.parametrize("name", ["different.wav", "german.wav"])
def test_speech_that_is_not_the_sentence_is_refused_as_off_task(auth_client, name):
    # "The weather is very cold today in the mountains"; a German sentence (espeak-ng -v de)
    response = post_score(auth_client, clip(name))

    assert response.status_code == 422
    assert response.json() == {"code": "off_task",
                               "detail": "The speech does not match the sentence. Read the sentence shown."}


def test_the_off_task_refusal_speaks_the_learners_language(auth_client):
    response = auth_client.post(URL, {"audio": upload(clip("different.wav")), "reference_text": REFERENCE},
                                format="multipart", HTTP_ACCEPT_LANGUAGE="vi")

    assert response.status_code == 422
    assert response.json() == {"code": "off_task",
                               "detail": "Lời nói không khớp với câu mẫu. Hãy đọc câu được hiển thị."}


def test_a_truncated_reading_has_omissions_and_lower_completeness(auth_client):
    right = post_score(auth_client, clip("right.wav")).json()
    response = post_score(auth_client, clip("truncated.wav"))  # "I would like to order a cup"

    assert response.status_code == 200
    body = response.json()
    by_word = words(body)
    assert [by_word[w]["error_type"] for w in ("of", "coffee", "please")] == ["omission"] * 3
    assert [by_word[w]["score"] for w in ("of", "coffee", "please")] == [0, 0, 0]
    assert by_word["cup"]["error_type"] == "none"
    assert body["completeness_score"] < right["completeness_score"]
    assert body["completeness_score"] <= 70
    # The unread part counts against accuracy and fluency too, not only completeness.
    assert body["accuracy_score"] <= 75 and body["fluency_score"] <= 75
    assert body["pronunciation_score"] < right["pronunciation_score"] - 30
    assert [p["error"] for p in by_word["coffee"]["phonemes"]] == ["omission"] * 4
    assert [p["score"] for p in by_word["coffee"]["phonemes"]] == [0] * 4
    assert body["recognized_text"].lower().split() == ["i", "would", "like", "to", "order", "a", "cup"]


THINK = "I think it is a good idea."


def test_every_word_has_its_phonemes_in_arpabet_and_ipa(auth_client):
    body = post_score(auth_client, clip("right.wav")).json()

    coffee = words(body)["coffee"]["phonemes"]
    assert [(p["phoneme"], p["ipa"]) for p in coffee] == [("K", "k"), ("AA", "ɑ"), ("F", "f"), ("IY", "i")]
    assert [len(w["phonemes"]) for w in body["word_scores"]] == [1, 3, 3, 2, 4, 1, 3, 2, 4, 4]
    for word in body["word_scores"]:
        for phoneme in word["phonemes"]:
            assert set(phoneme) == {"phoneme", "ipa", "score", "heard", "error"}
            assert 0 <= phoneme["score"] <= 100
            assert (phoneme["heard"], phoneme["error"]) == (None, None)


def test_a_sound_said_as_another_is_reported_with_what_was_heard(auth_client):
    right = post_score(auth_client, clip("think.wav"), reference=THINK).json()
    body = post_score(auth_client, clip("sink.wav"), reference=THINK).json()  # "I sink it is a good idea"

    assert all(w["error_type"] == "none" for w in right["word_scores"])
    assert not [p for w in right["word_scores"] for p in w["phonemes"] if p["error"]]
    think = words(body)["think"]
    assert think["error_type"] == "mispronunciation"
    th = think["phonemes"][0]
    assert (th["phoneme"], th["ipa"], th["heard"], th["error"]) == ("TH", "θ", "S", "substitution")
    assert th["score"] == min(p["score"] for w in body["word_scores"] for p in w["phonemes"])
    assert [p["error"] for p in think["phonemes"][1:]] == [None] * 3
    assert {w for w, ws in words(body).items() if ws["error_type"] != "none"} == {"think"}
    assert right["pronunciation_score"] - body["pronunciation_score"] > 16


@pytest.mark.parametrize("voice", ["en-gb", "hi"])
def test_an_accented_right_reading_scores_above_the_same_voice_saying_a_wrong_word(auth_client, voice):
    right = post_score(auth_client, clip(f"accent-{voice}-right.wav"))
    changed = post_score(auth_client, clip(f"accent-{voice}-changed.wav"))  # "... a cup of water please"

    assert right.status_code == 200 and changed.status_code == 200
    assert right.json()["pronunciation_score"] >= changed.json()["pronunciation_score"] + 10
    assert right.json()["completeness_score"] > changed.json()["completeness_score"]


def test_a_short_word_said_in_its_weak_form_is_not_flagged(auth_client):
    # Read right with a Hindi accent: "of" fits poorly over its few frames (at 0), as a reduced "of" does.
    body = post_score(auth_client, clip("accent-hi-right.wav")).json()
    others = sorted(w["score"] for w in body["word_scores"] if w["word"] != "of")

    # Its score is pulled toward the reading's typical word (2 phones against 3), not left at 0.
    assert 0.5 * statistics.median(others) < words(body)["of"]["score"] < 60
    assert [w["word"] for w in body["word_scores"] if w["error_type"] != "none"] == []


def test_a_british_pronunciation_is_heard_as_the_word(auth_client):
    # espeak-ng's British voice says "of" /ɒv/, which the US dictionary lacks: it was heard as no word at all.
    body = post_score(auth_client, clip("accent-en-gb-right.wav")).json()

    assert "cup of coffee" in body["recognized_text"].lower()
    assert [w["word"] for w in body["word_scores"] if w["error_type"] != "none"] == []
    assert body["completeness_score"] == 100 and body["pronunciation_score"] >= 80


def test_the_last_word_before_a_near_silent_ending_is_heard(auth_client):
    # espeak-ng ends its sentences in samples within +-1: the silence model used to swallow "kitchen".
    body = post_score(auth_client, clip("kitchen.wav"), reference="Please open the window in the kitchen.").json()

    assert words(body)["kitchen"]["error_type"] == "none"  # it was an omission, scored 0
    assert body["completeness_score"] > 50 and "kitchen" in body["recognized_text"].lower()


def test_the_file_name_and_content_type_do_not_matter(auth_client):
    response = post_score(auth_client, clip("right.wav"), name="notes.txt", content_type="text/plain")

    assert response.status_code == 200
    assert response.json()["pronunciation_score"] >= 80


@pytest.mark.parametrize("name", ["silence.wav", "noise.wav"])
def test_silence_and_noise_are_refused_as_poor_audio(auth_client, name):
    response = post_score(auth_client, clip(name))

    assert response.status_code == 422
    assert response.json()["code"] == "audio_quality"


def test_a_reading_in_loud_noise_is_refused_as_too_noisy_with_the_measured_gap(auth_client):
    noisy = post_score(auth_client, wav_bytes(with_white_noise(pcm_of("right.wav"), 10)))
    assert noisy.status_code == 422
    body = noisy.json()
    assert body["code"] == "audio_quality" and body["detail"].startswith("The recording is too noisy to score")
    measured = int(re.search(r"only (\d+) dB louder", body["detail"]).group(1))
    assert 10 <= measured < 16

    # Moderate noise is still scored, and the right reading still recognised.
    scored = post_score(auth_client, wav_bytes(with_white_noise(pcm_of("right.wav"), 20)))
    assert scored.status_code == 200
    assert scored.json()["completeness_score"] >= 50


@pytest.mark.parametrize("pcm", [
    silence(1) + pcm_of("noise.wav") + silence(3),  # a burst of noise, then nothing
    (b"\xff\x7f\x01\x80" * 40 + silence(0.09)) * 30,  # a ticking clock
], ids=["noise-burst", "ticking"])
def test_sounds_that_pass_for_voice_activity_but_are_not_speech_are_refused(auth_client, pcm):
    response = post_score(auth_client, wav_bytes(pcm))

    assert response.status_code == 422
    assert response.json() == {"code": "audio_quality", "detail": "No speech was recognised in the recording."}


def test_a_recording_too_short_is_refused(auth_client):
    too_short = wav_bytes(pcm_of("right.wav")[: 16000 * 2 // 5])  # 0.2 s

    response = post_score(auth_client, too_short)

    assert response.status_code == 422
    assert response.json()["code"] == "audio_quality"
    assert "short" in response.json()["detail"]


def test_a_recording_over_thirty_seconds_is_refused(auth_client):
    speech = pcm_of("right.wav")
    too_long = wav_bytes((speech + silence(0.5)) * 11)  # about 35 s

    response = post_score(auth_client, too_long)

    assert response.status_code == 422
    assert response.json()["code"] == "audio_quality"
    assert "30 seconds" in response.json()["detail"]


def test_silence_around_the_speech_is_fine(auth_client):
    padded = wav_bytes(silence(1.5) + pcm_of("right.wav") + silence(2.0))

    response = post_score(auth_client, padded)

    assert response.status_code == 200
    assert response.json()["pronunciation_score"] >= 80


@pytest.mark.parametrize("data, name", [
    (b"These are my notes, not a recording.\n" * 200, "speech.wav"),
    (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"not really an mp3 frame " * 100, "speech.mp3"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64, "speech.wav"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 400, "speech.m4a"),
])
def test_what_is_not_decodable_audio_is_a_bad_request(auth_client, data, name):
    response = post_score(auth_client, data, name=name)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_audio"


def test_an_upload_over_the_limit_is_refused(auth_client, settings):
    settings.MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    # 10.50 MB: over the file limit, within the request's allowance, so the streamed file is what is refused
    # (larger requests are refused from their Content-Length: test_score_request_limits.py).
    oversize = wav_bytes(silence(328))

    response = post_score(auth_client, oversize)

    assert response.status_code == 413
    assert response.json()["code"] == "audio_too_large"


def test_the_limit_follows_the_setting(auth_client, settings):
    data = clip("right.wav")
    settings.MAX_UPLOAD_BYTES = len(data) - 1
    assert post_score(auth_client, data).status_code == 413
    settings.MAX_UPLOAD_BYTES = len(data)
    assert post_score(auth_client, data).status_code == 200


@pytest.mark.parametrize("form, field", [
    ({"reference": "I would like a cup of coffee."}, "audio"),
    ({"audio": True}, "reference_text"),
    ({"audio": True, "reference": ""}, "reference_text"),
    ({"audio": True, "reference": "x" * 501}, "reference_text"),
    ({"audio": True, "language": "english please"}, "language"),
])
def test_missing_or_invalid_fields_are_bad_requests(auth_client, form, field):
    response = post_score(auth_client, clip("right.wav") if form.get("audio") else None,
                          reference=form.get("reference"), language=form.get("language"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert field in response.json()["errors"]


def test_an_empty_file_is_a_bad_request(auth_client):
    response = post_score(auth_client, b"")

    assert response.status_code == 400
    assert "audio" in response.json()["errors"]


def test_a_language_the_local_engine_cannot_score_is_a_bad_request(auth_client):
    response = post_score(auth_client, clip("right.wav"), language="fr-FR")

    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_language"


def test_language_defaults_to_us_english_and_accepts_any_case(auth_client):
    assert post_score(auth_client, clip("right.wav"), language="en-us").status_code == 200


def test_numbers_and_unknown_words_in_the_reference_do_not_break_scoring(auth_client):
    response = post_score(auth_client, clip("right.wav"), reference="I'd like 2 cups of coffee, Zyxqwv!")

    assert response.status_code == 200
    body = response.json()
    assert [w["word"] for w in body["word_scores"] if w["error_type"] != "insertion"] == [
        "I'd", "like", "2", "cups", "of", "coffee", "Zyxqwv"]
    assert words(body)["zyxqwv"]["score"] is None
    assert words(body)["2"]["score"] is not None


def test_a_reference_without_any_known_word_cannot_be_scored(auth_client):
    response = post_score(auth_client, clip("right.wav"), reference="Zyxqwv Qwzzkx!")

    assert response.status_code == 422
    assert response.json()["code"] == "reference_not_scorable"


def test_scoring_needs_a_signed_in_user(api_client):
    response = post_score(api_client, clip("right.wav"))

    assert response.status_code == 401


def test_the_endpoint_is_in_the_api_docs(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/speech/score"]["post"]

    assert set(operation["requestBody"]["content"]) == {"multipart/form-data"}
    assert {"200", "400", "401", "413", "422", "503"} <= set(operation["responses"])
    request = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][request]["required"]) == {"audio", "reference_text"}
    result = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][result]["properties"]) == SCORE_FIELDS
    assert set(schema["components"]["schemas"]["WordScore"]["properties"]) == {
        "word", "score", "error_type", "phonemes"}
    assert set(schema["components"]["schemas"]["PhonemeScore"]["properties"]) == {
        "phoneme", "ipa", "score", "heard", "error"}
    assert "off_task" in operation["responses"]["422"]["description"]
    assert api_client.get("/api/docs/").status_code == 200
