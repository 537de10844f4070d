"""The book a WebSocket client keeps (snapshot, then every delta) equals the gateway's REST book.

  book_check.py WS_URL REST_URL EXCHANGE SYMBOL [SECONDS]

Subscribes to book.EXCHANGE.SYMBOL, keeps the book per docs/websocket.md (replace on book_snapshot, apply
each book_delta; quantity zero removes a level; seq must go up by one), remembers its state at each update
id, and polls GET /api/v1/exchanges/EXCHANGE/orderbook/SYMBOL?depth=5000. A REST answer whose update id the
client has reached (or reaches later) must list exactly the client's best levels, price and quantity text
alike. Passes after 5 such matches, at least one of them after deltas were applied; fails on any difference,
a seq gap, or too few matches within SECONDS (default 60).
"""
import json
import sys
import time
import urllib.request
from decimal import Decimal

from websockets.sync.client import connect


def main():
    ws_url, rest_url, exchange, symbol = sys.argv[1:5]
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 60
    topic = f"book.{exchange}.{symbol}"
    route = f"{rest_url}/api/v1/exchanges/{exchange}/orderbook/{symbol}?depth=5000"
    bids, asks = {}, {}
    seq = None
    snapshot_id = None
    states = {}  # update id -> (bids, asks) as the client had them
    order = []
    pending = []  # REST answers ahead of the client
    matches = []
    deltas = 0
    next_poll = 0.0
    deadline = time.time() + seconds

    def ranked(side, descending):
        return sorted(side.items(), key=lambda level: Decimal(level[0]), reverse=descending)

    def compare(state, answer):
        have_bids, have_asks = state
        want_bids = [tuple(level) for level in answer["bids"]]
        want_asks = [tuple(level) for level in answer["asks"]]
        got_bids = ranked(have_bids, True)[: len(want_bids)]
        got_asks = ranked(have_asks, False)[: len(want_asks)]
        if got_bids != want_bids or got_asks != want_asks:
            sys.exit(f"update id {answer['update_id']}: the WebSocket book differs from the REST book\n"
                     f"  bids ws {got_bids[:5]} rest {want_bids[:5]}\n  asks ws {got_asks[:5]} rest {want_asks[:5]}")
        if not want_bids or not want_asks:
            sys.exit(f"update id {answer['update_id']}: the REST book has an empty side")
        matches.append(answer["update_id"])

    with connect(ws_url, open_timeout=10, max_size=None) as ws:
        ws.send(json.dumps({"op": "subscribe", "topics": [topic], "id": 1}))
        while time.time() < deadline and (len(matches) < 5 or all(m == snapshot_id for m in matches)):
            message = json.loads(ws.recv(timeout=10))
            kind = message.get("type")
            if kind == "book_snapshot":
                bids = {p: q for p, q in message["bids"]}
                asks = {p: q for p, q in message["asks"]}
                update_id = message["update_id"]
                snapshot_id = update_id
            elif kind == "book_delta":
                if seq is None:
                    sys.exit("a book_delta came before any book_snapshot")
                for side, levels in ((bids, message["bids"]), (asks, message["asks"])):
                    for price, quantity in levels:
                        if Decimal(quantity) == 0:
                            side.pop(price, None)
                        else:
                            side[price] = quantity
                update_id = message["last_update_id"]
                deltas += 1
            else:
                continue
            if seq is not None and message["seq"] != seq + 1:
                sys.exit(f"seq {message['seq']} after {seq}: a gap or a repeat")
            seq = message["seq"]
            states[update_id] = (dict(bids), dict(asks))
            order.append(update_id)
            if len(order) > 2000:
                states.pop(order.pop(0), None)
            for answer in [a for a in pending if a["update_id"] in states]:
                pending.remove(answer)
                compare(states[answer["update_id"]], answer)
            if time.time() >= next_poll:
                next_poll = time.time() + 0.2
                with urllib.request.urlopen(route, timeout=5) as response:
                    answer = json.load(response)
                if answer.get("sync_state") != "synced":
                    continue
                if answer["update_id"] in states:
                    compare(states[answer["update_id"]], answer)
                elif not order or answer["update_id"] > order[-1]:
                    pending = pending[-50:] + [answer]
    if len(matches) < 5 or all(m == snapshot_id for m in matches):
        sys.exit(f"only {len(matches)} REST answers met the WebSocket book at a shared update id in {seconds:.0f} s "
                 f"({deltas} deltas applied)")
    print(f"the WebSocket book equals the REST book at {len(matches)} update ids "
          f"({matches[0]}..{matches[-1]}), {deltas} deltas applied")


if __name__ == "__main__":
    main()
