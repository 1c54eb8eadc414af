"""Azure provider: result mapping from recorded-shape JSON, and failures against local endpoints.

Azure itself cannot be reached from here. The mapping is tested on fixtures in the shape
of the service's detailed JSON result (NBest / PronunciationAssessment / Words); the error
paths point the real SDK at local endpoints that refuse, drop or ignore the connection.
"""

import json
import logging
import socket
import threading
import time
from pathlib import Path

import pytest

from scoring.providers.azure import AzureSpeechProvider, error_from_cancellation, result_from_azure_json
from scoring.providers.base import AudioQualityError, SpeechProviderAPIError, SpeechProviderTimeoutError
from scoring.providers.factory import get_speech_provider
from tests.scoring.helpers import clip, post_score

FIXTURES = Path(__file__).parent / "fixtures"
WS_PATH = "/speech/recognition/conversation/cognitiveservices/v1"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


# --- mapping ---------------------------------------------------------------------------------

def test_scores_and_words_of_an_assessment_are_mapped():
    result = result_from_azure_json(fixture("azure_mispronunciation.json"))

    assert result.provider_name == "azure"
    assert result.recognized_text == "I would like to order a cup of coffee, please."
    assert (result.pronunciation_score, result.accuracy_score, result.fluency_score, result.completeness_score) == (
        90.6, 89.3, 95.0, 100.0)
    assert [w.word for w in result.word_scores] == ["i", "would", "like", "to", "order", "a", "cup", "of", "coffee",
                                                    "please"]
    coffee = result.word_scores[8]
    assert (coffee.score, coffee.error_type) == (42.0, "mispronunciation")
    assert all(w.error_type == "none" for i, w in enumerate(result.word_scores) if i != 8)


def test_phonemes_keep_azures_symbols_with_ipa_and_say_what_was_heard():
    data = fixture("azure_mispronunciation.json")
    aa = data["NBest"][0]["Words"][8]["Phonemes"][1]
    aa["PronunciationAssessment"]["NBestPhonemes"] = [{"Phoneme": "ae", "Score": 80}, {"Phoneme": "aa", "Score": 12}]

    coffee = result_from_azure_json(data).word_scores[8]

    assert [(p.phoneme, p.ipa, p.score) for p in coffee.phonemes] == [
        ("k", "k", 96.0), ("aa", "ɑ", 12.0), ("f", "f", 35.0), ("iy", "i", 25.0)]
    assert [(p.heard, p.error) for p in coffee.phonemes] == [(None, None), ("ae", "substitution"), (None, None),
                                                             (None, None)]
    assert result_from_azure_json(fixture("azure_flat.json")).word_scores[0].phonemes == []
    miscue = {w.word: w for w in result_from_azure_json(fixture("azure_miscue.json")).word_scores}
    assert miscue["coffee"].phonemes == [] and miscue["water"].phonemes == []


def test_miscues_become_omissions_and_insertions():
    result = result_from_azure_json(fixture("azure_miscue.json"))

    by_word = {w.word: w for w in result.word_scores}
    assert (by_word["coffee"].score, by_word["coffee"].error_type) == (0.0, "omission")
    assert (by_word["water"].score, by_word["water"].error_type) == (None, "insertion")
    assert result.completeness_score == 90.0
    assert result.recognized_text == "I would like to order a cup of water, please."


def test_the_older_flat_result_shape_is_understood():
    result = result_from_azure_json(fixture("azure_flat.json"))

    assert (result.pronunciation_score, result.accuracy_score, result.fluency_score) == (84.6, 82.5, 80.0)
    assert [(w.word, w.score, w.error_type) for w in result.word_scores] == [
        ("what", 100.0, "none"), ("is", 90.0, "none"), ("your", 85.0, "none"), ("name", 55.0, "mispronunciation")]


def test_prosody_findings_are_not_pronunciation_errors():
    data = fixture("azure_mispronunciation.json")
    data["NBest"][0]["Words"][2]["PronunciationAssessment"]["ErrorType"] = "UnexpectedBreak"

    assert result_from_azure_json(data).word_scores[2].error_type == "none"


def test_a_result_without_nbest_is_a_provider_error():
    with pytest.raises(SpeechProviderAPIError):
        result_from_azure_json({"RecognitionStatus": "Success", "DisplayText": "hi"})


@pytest.mark.parametrize("reason, code, expected", [
    ("Error", "ConnectionFailure", SpeechProviderAPIError),
    ("Error", "AuthenticationFailure", SpeechProviderAPIError),
    ("Error", "ServiceTimeout", SpeechProviderTimeoutError),
    ("EndOfStream", "NoError", AudioQualityError),
])
def test_cancellations_map_onto_our_errors(reason, code, expected):
    assert isinstance(error_from_cancellation(reason, code, "details"), expected)


# --- the real SDK against local endpoints ------------------------------------------------------

class Endpoint:
    """A local TCP endpoint: 'refuse' (closed port), 'drop' (accept and close) or 'ignore' (accept, never answer)."""

    def __init__(self, mode: str):
        self.mode = mode
        self.connections = 0
        self._held: list[socket.socket] = []
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        if mode == "refuse":
            self._server.close()
            return
        self._server.listen(16)
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{WS_PATH}"

    def _serve(self):
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            if self.mode == "drop":
                conn.close()
            else:
                self._held.append(conn)

    def close(self):
        self._server.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def endpoint():
    created = []

    def make(mode: str) -> Endpoint:
        created.append(Endpoint(mode))
        return created[-1]

    yield make
    for ep in created:
        ep.close()


@pytest.fixture
def azure(settings):
    settings.SPEECH_PROVIDER = "azure"
    settings.AZURE_SPEECH_KEY = "test-key-not-used"
    settings.AZURE_SPEECH_REGION = ""
    settings.SPEECH_API_BACKOFF_SECONDS = 0.01
    settings.SPEECH_API_MAX_ATTEMPTS = 3
    settings.SPEECH_API_TIMEOUT = 10
    settings.SPEECH_FALLBACK_PROVIDER = ""
    return settings


@pytest.mark.django_db
def test_an_unreachable_service_is_503_after_three_attempts(auth_client, azure, endpoint, caplog):
    azure.AZURE_SPEECH_ENDPOINT = endpoint("refuse").url
    started = time.monotonic()

    with caplog.at_level(logging.WARNING, logger="scoring.providers.azure"):
        response = post_score(auth_client, clip("right.wav"))

    assert response.status_code == 503
    assert response.json()["code"] == "speech_provider_unavailable"
    attempts = [r for r in caplog.records if "Azure Speech attempt" in r.getMessage()]
    assert [r.getMessage().split(" failed")[0] for r in attempts] == [
        "Azure Speech attempt 1/3", "Azure Speech attempt 2/3", "Azure Speech attempt 3/3"]
    assert "ConnectionFailure" in attempts[-1].getMessage()
    assert time.monotonic() - started < 30


@pytest.mark.django_db
def test_a_dropped_connection_is_retried_then_503(auth_client, azure, endpoint):
    server = endpoint("drop")
    azure.AZURE_SPEECH_ENDPOINT = server.url

    response = post_score(auth_client, clip("right.wav"))

    assert response.status_code == 503
    assert response.json()["code"] == "speech_provider_unavailable"
    assert server.connections >= 3  # the SDK may reconnect within one attempt too


@pytest.mark.django_db
def test_a_service_that_never_answers_times_out_with_503(auth_client, azure, endpoint):
    server = endpoint("ignore")
    azure.AZURE_SPEECH_ENDPOINT = server.url
    azure.SPEECH_API_TIMEOUT = 1.5
    started = time.monotonic()

    response = post_score(auth_client, clip("right.wav"))

    assert response.status_code == 503
    assert response.json()["code"] == "speech_provider_timeout"
    assert server.connections == 1  # a timed-out attempt is not repeated
    assert time.monotonic() - started < 6


@pytest.mark.django_db
def test_the_local_engine_can_stand_in_for_an_unreachable_service(auth_client, azure, endpoint):
    azure.AZURE_SPEECH_ENDPOINT = endpoint("refuse").url
    azure.SPEECH_API_MAX_ATTEMPTS = 1
    azure.SPEECH_FALLBACK_PROVIDER = "local"

    response = post_score(auth_client, clip("right.wav"))

    assert response.status_code == 200
    assert response.json()["provider"] == "local"
    assert response.json()["pronunciation_score"] >= 80


@pytest.mark.django_db
def test_azure_without_a_key_is_503(auth_client, azure):
    azure.AZURE_SPEECH_KEY = ""

    response = post_score(auth_client, clip("right.wav"))

    assert response.status_code == 503


@pytest.mark.django_db
def test_azure_accepts_other_languages(auth_client, azure, endpoint):
    azure.AZURE_SPEECH_ENDPOINT = endpoint("refuse").url
    azure.SPEECH_API_MAX_ATTEMPTS = 1

    # Gets past language validation to the (unreachable) service instead of a 400.
    assert post_score(auth_client, clip("right.wav"), language="de-DE").status_code == 503


@pytest.mark.django_db
def test_poor_audio_is_refused_before_calling_the_service(auth_client, azure, endpoint):
    server = endpoint("drop")
    azure.AZURE_SPEECH_ENDPOINT = server.url

    response = post_score(auth_client, clip("noise.wav"))

    assert response.status_code == 422
    assert server.connections == 0


def test_the_factory_builds_the_azure_provider_from_settings(azure):
    azure.AZURE_SPEECH_ENDPOINT = "ws://127.0.0.1:9" + WS_PATH

    provider = get_speech_provider()

    assert isinstance(provider, AzureSpeechProvider)
    assert provider is get_speech_provider()
    assert provider.supports_language("en-GB") and not provider.supports_language("not a language")
