import asyncio

from timeline.config import Settings

from .service import build_app

if __name__ == "__main__":
    app, _ = build_app(Settings())
    asyncio.run(app.run())
