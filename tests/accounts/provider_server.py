"""A stand-in for Google, Apple and Facebook on 127.0.0.1, for social sign-in tests.

It serves JWKS documents built from RSA keys generated here and a fake Graph API
(debug_token, me) answering from a table of known Facebook tokens. Only the network
boundary is faked: our verification code fetches and checks everything for real.
"""

import functools
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


@dataclass
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls) -> "SigningKey":
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(kid=uuid.uuid4().hex[:16], private_key=private_key)

    def jwk(self) -> dict:
        return {**RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True),
                "kid": self.kid, "use": "sig", "alg": "RS256"}

    def sign(self, claims: dict, *, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": kid or self.kid})


@dataclass
class FacebookUser:
    user_id: str
    name: str
    email: str | None
    app_id: str
    is_valid: bool = True
    expires_at: int = field(default_factory=lambda: int(time.time()) + 3600)


@functools.cache
def _shared_keys() -> tuple[SigningKey, SigningKey]:
    # RSA key generation is slow; one Google and one Apple key serve the whole test session.
    return SigningKey.generate(), SigningKey.generate()


class ProviderServer:
    def __init__(self):
        self.google_key, self.apple_key = _shared_keys()
        self.facebook_tokens: dict[str, FacebookUser] = {}
        self.facebook_app_token = ""
        self.facebook_app_secret = ""
        self.failing = False  # every endpoint answers 500
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ProviderServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                provider.requests.append(url.path)
                if provider.failing:
                    return self._send(500, {"error": "internal"})
                if url.path == "/google/jwks":
                    return self._send(200, {"keys": [provider.google_key.jwk()]})
                if url.path == "/apple/jwks":
                    return self._send(200, {"keys": [provider.apple_key.jwk()]})
                if url.path == "/graph/debug_token":
                    return self._debug_token(query)
                if url.path == "/graph/me":
                    return self._me(query)
                return self._send(404, {"error": "not found"})

            def _debug_token(self, query):
                if query.get("access_token") != provider.facebook_app_token:
                    return self._send(400, {"error": {"message": "Invalid app token", "code": 190}})
                person = provider.facebook_tokens.get(query.get("input_token", ""))
                if person is None:
                    return self._send(200, {"data": {"is_valid": False,
                                                     "error": {"code": 190, "message": "Malformed token"}}})
                return self._send(200, {"data": {"app_id": person.app_id, "type": "USER", "is_valid": person.is_valid,
                                                 "expires_at": person.expires_at, "user_id": person.user_id,
                                                 "scopes": ["email", "public_profile"]}})

            def _me(self, query):
                token = query.get("access_token", "")
                person = provider.facebook_tokens.get(token)
                expected_proof = hmac.new(provider.facebook_app_secret.encode(), token.encode(),
                                          hashlib.sha256).hexdigest()
                if person is None or not person.is_valid:
                    return self._send(400, {"error": {"message": "Invalid OAuth access token", "code": 190}})
                if query.get("appsecret_proof") != expected_proof:
                    return self._send(400, {"error": {"message": "Invalid appsecret_proof", "code": 100}})
                body = {"id": person.user_id, "name": person.name}
                if person.email:
                    body["email"] = person.email
                return self._send(200, body)

        return Handler
