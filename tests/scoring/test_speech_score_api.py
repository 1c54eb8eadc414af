"""POST /api/v1/speech/score with the local engine, on real recordings (see audio/make_clips.sh)."""

import pytest

from tests.scoring.helpers import REFERENCE_WORDS, clip, pcm_of, post_score, silence, wav_bytes, words

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
    assert body["pronunciation_score"] < right["pronunciation_score"]


def test_a_different_sentence_scores_low(auth_client):
    response = post_score(auth_client, clip("different.wav"))  # "The weather is very cold today ..."

    assert response.status_code == 200
    body = response.json()
    assert body["pronunciation_score"] <= 40
    assert body["completeness_score"] <= 40
    assert sum(w["error_type"] != "none" for w in body["word_scores"]) >= 6
    assert "weather" in body["recognized_text"].lower()


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
    assert body["pronunciation_score"] < right["pronunciation_score"]
    assert body["recognized_text"].lower().split() == ["i", "would", "like", "to", "order", "a", "cup"]


def test_the_file_name_and_content_type_do_not_matter(auth_client):
    response = post_score(auth_client, clip("right.wav"), name="notes.txt", content_type="text/plain")

    assert response.status_code == 200
    assert response.json()["pronunciation_score"] >= 80


@pytest.mark.parametrize("name", ["silence.wav", "noise.wav"])
def test_silence_and_noise_are_refused_as_poor_audio(auth_client, name):
    response = post_score(auth_client, clip(name))

    assert response.status_code == 422
    assert response.json()["code"] == "audio_quality"


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
    assert api_client.get("/api/docs/").status_code == 200
