"""The web app is served pre-compressed (brotli, gzip) by Accept-Encoding, with caching fit for a hashed build."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from adpilot.core.static_files import accepted_encodings

SCRIPT = b"export const answer = 42;\n" * 200
BROTLI = b"\x1b brotli bytes (served verbatim, never decoded by the server)"
INDEX = b"<!doctype html><title>adpilot</title><div id=root></div>" + b" " * 2000


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A small build output as `make web` writes it: hashed assets with .br/.gz beside them, and index.html."""
    (tmp_path / "assets").mkdir()
    script = tmp_path / "assets" / "index-Ab12Cd34.js"
    script.write_bytes(SCRIPT)
    script.with_name(script.name + ".br").write_bytes(BROTLI)
    script.with_name(script.name + ".gz").write_bytes(gzip.compress(SCRIPT))
    (tmp_path / "assets" / "logo-Ef56Gh78.png").write_bytes(b"\x89PNG not compressible")
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / "index.html.gz").write_bytes(gzip.compress(INDEX))
    (tmp_path / "favicon.svg").write_bytes(b"<svg/>")
    return tmp_path


@pytest.fixture
async def web(dist: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    import adpilot.app
    from adpilot.config import get_settings

    monkeypatch.setattr(adpilot.app, "WEB_DIST", dist)
    app = adpilot.app.create_app(get_settings(), run_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def raw_get(client: httpx.AsyncClient, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body exactly as sent (httpx would otherwise decode gzip)."""
    async with client.stream("GET", path, headers=headers) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, body


class TestPrecompressedAssets:
    async def test_brotli_is_preferred_with_the_scripts_content_type(self, web: httpx.AsyncClient) -> None:
        response, body = await raw_get(
            web, "/assets/index-Ab12Cd34.js", **{"Accept-Encoding": "gzip, deflate, br, zstd"}
        )
        assert response.status_code == 200
        assert body == BROTLI
        assert response.headers["content-encoding"] == "br"
        assert response.headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript"}
        assert response.headers["content-length"] == str(len(BROTLI))
        assert response.headers["vary"] == "Accept-Encoding"

    async def test_gzip_when_brotli_is_not_accepted(self, web: httpx.AsyncClient) -> None:
        response, body = await raw_get(web, "/assets/index-Ab12Cd34.js", **{"Accept-Encoding": "gzip, br;q=0"})
        assert response.headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == SCRIPT
        assert response.headers["vary"] == "Accept-Encoding"

    async def test_identity_without_accept_encoding(self, web: httpx.AsyncClient) -> None:
        response, body = await raw_get(web, "/assets/index-Ab12Cd34.js", **{"Accept-Encoding": "identity"})
        assert body == SCRIPT
        assert "content-encoding" not in response.headers
        assert response.headers["vary"] == "Accept-Encoding"

    async def test_each_variant_has_its_own_etag_and_revalidates(self, web: httpx.AsyncClient) -> None:
        brotli, _ = await raw_get(web, "/assets/index-Ab12Cd34.js", **{"Accept-Encoding": "br"})
        plain, _ = await raw_get(web, "/assets/index-Ab12Cd34.js", **{"Accept-Encoding": "identity"})
        assert brotli.headers["etag"] != plain.headers["etag"]
        again, body = await raw_get(
            web, "/assets/index-Ab12Cd34.js", **{"Accept-Encoding": "br", "If-None-Match": brotli.headers["etag"]}
        )
        assert again.status_code == 304
        assert body == b""
        assert again.headers["vary"] == "Accept-Encoding"
        assert again.headers["cache-control"] == "public, max-age=31536000, immutable"

    async def test_a_file_without_variants_is_sent_as_is(self, web: httpx.AsyncClient) -> None:
        response, body = await raw_get(web, "/assets/logo-Ef56Gh78.png", **{"Accept-Encoding": "br, gzip"})
        assert body == b"\x89PNG not compressible"
        assert "content-encoding" not in response.headers
        assert "vary" not in response.headers

    async def test_head_has_the_variants_headers(self, web: httpx.AsyncClient) -> None:
        response = await web.head("/assets/index-Ab12Cd34.js", headers={"Accept-Encoding": "br"})
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "br"
        assert response.headers["content-length"] == str(len(BROTLI))


class TestCaching:
    async def test_hashed_assets_are_immutable(self, web: httpx.AsyncClient) -> None:
        response, _ = await raw_get(web, "/assets/index-Ab12Cd34.js")
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"

    @pytest.mark.parametrize("path", ["/", "/index.html", "/orgs/123/audit-log", "/login"])
    async def test_index_html_is_revalidated_on_every_use(self, web: httpx.AsyncClient, path: str) -> None:
        response, body = await raw_get(web, path, **{"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-encoding"] == "gzip"
        assert gzip.decompress(body) == INDEX

    async def test_unhashed_public_files_are_revalidated(self, web: httpx.AsyncClient) -> None:
        response, _ = await raw_get(web, "/favicon.svg")
        assert response.headers["cache-control"] == "no-cache"
        assert "etag" in response.headers

    async def test_a_missing_asset_is_still_404(self, web: httpx.AsyncClient) -> None:
        response, _ = await raw_get(web, "/assets/gone-00000000.js", **{"Accept-Encoding": "br"})
        assert response.status_code == 404

    async def test_api_answers_are_not_static_files(self, web: httpx.AsyncClient) -> None:
        response = await web.get("/api/v1/no-such-route", headers={"Accept-Encoding": "br"})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, set()),
        ("", set()),
        ("gzip, deflate, br, zstd", {"gzip", "deflate", "br", "zstd"}),
        ("br;q=0, gzip;q=0.5", {"gzip"}),
        ("BR ; Q=1.0", {"br"}),
        ("*", {"*"}),
        ("gzip;q=nonsense", set()),
    ],
)
def test_accepted_encodings(header: str | None, expected: set[str]) -> None:
    assert accepted_encodings(header) == expected
