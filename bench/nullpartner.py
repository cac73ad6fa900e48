"""A null partner wallet for the drain benchmark: answers every POST with 200 and a fixed IGSP body.

No signature check, no database: it costs almost nothing, so a drain against it measures the hub's
delivery engine alone (the sandbox partner is a full Django app and caps throughput on small
machines). HTTP/1.1 keep-alive, asyncio, loopback only.

    python -m bench.nullpartner 18202
"""

from __future__ import annotations

import asyncio
import sys
import uuid

BODY_TEMPLATE = b'{"balance":1000.00,"transaction_id":"%s"}'


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            keep_alive = True
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value.strip() or 0)
                elif name == b"connection" and value.strip().lower() == b"close":
                    keep_alive = False
            if length:
                await reader.readexactly(length)
            body = BODY_TEMPLATE % str(uuid.uuid4()).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
            if not keep_alive:
                break
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
