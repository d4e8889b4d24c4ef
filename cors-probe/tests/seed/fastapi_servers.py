"""The seed article's FastAPI advice as real servers (FastAPI + uvicorn, as pinned in
requirements.txt), one per port:

    python fastapi_servers.py   (env: PORTS='{"name": port, ...}', PAGE_ORIGIN)

- missing: no CORSMiddleware at all;
- fixed: `app.add_middleware(CORSMiddleware, allow_origins=[PAGE_ORIGIN],
  allow_credentials=True, allow_methods=["*"], allow_headers=["*"])`, as the article writes it;
- auth_first: the same, with a bearer check added after it, so that it runs before CORS (the
  mistake the article warns about: the last middleware added is the outermost).

Prints "ready" once every app listens.
"""

import asyncio
import json
import os

import uvicorn
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel
from starlette.responses import PlainTextResponse

PORTS = json.loads(os.environ["PORTS"])
PAGE = os.environ["PAGE_ORIGIN"]


class User(BaseModel):
    name: str


def routes(app: FastAPI) -> FastAPI:
    @app.post("/api/users")
    async def create_user(user: User):
        return {"id": 1, "name": user.name}

    @app.get("/api/users")
    async def list_users():
        return [{"id": 1, "name": "ada"}]

    return app


def missing() -> FastAPI:
    return routes(FastAPI())


def fixed() -> FastAPI:
    app = routes(FastAPI())
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[PAGE],
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    return app


def auth_first() -> FastAPI:
    app = fixed()

    @app.middleware("http")
    async def require_bearer(request, call_next):
        if request.headers.get("authorization") != "Bearer t":
            return PlainTextResponse("unauthorized", status_code=401)
        return await call_next(request)

    return app


APPS = {"missing": missing, "fixed": fixed, "auth_first": auth_first}


async def main() -> None:
    servers = [
        uvicorn.Server(uvicorn.Config(APPS[name](), host="127.0.0.1", port=port, log_level="warning"))
        for name, port in PORTS.items()
    ]
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    while not all(s.started for s in servers):
        if any(t.done() for t in tasks):
            raise SystemExit("a server did not start")
        await asyncio.sleep(0.05)
    print("ready", flush=True)
    await asyncio.gather(*tasks)


asyncio.run(main())
