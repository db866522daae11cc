"""make demo-nginx: Debian's nginx with ngx_http_tokenauth_module answering the status table.

Members and tokens are set up through the library; nginx starts with the module on a free loopback
port in front of an upstream that echoes what it received; one request per case shows the status
nginx answered, the library's status ($tokenauth_status), and the body and headers that matter. Then
nginx stops (its workers close the store, writing the usage) and the usage it recorded is shown.
Secrets appear only as their 9-character hint.

    demo_nginx.py --work DIR
"""

import argparse
import os
import sys
import time

import tokenauth

from nginx_harness import NGINX, fresh_dir, free_port, give_to_workers
from scenario import Scenario, Tokens, open_store, run_status_table, start_gateway


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    work = fresh_dir(os.path.join(parser.parse_args().work, "demo"))
    give_to_workers(work)
    store_dir = os.path.join(work, "store")
    store = open_store(store_dir)
    tokens = Tokens(store)
    ports = {"port": free_port(), "big": free_port(), "upstream": free_port()}
    nginx = start_gateway(os.path.join(work, "nginx"), os.path.join(store_dir, "tokens.db"), ports)
    try:
        time.sleep(1.1)  # the short-lived token (1 s) expires, for real
        sc = Scenario(ports["port"])
        run_status_table(sc, tokens)
    finally:
        nginx.stop()

    print(f"\n{NGINX} with the tokenauth module on http://127.0.0.1:{ports['port']} "
          f"(libtokenauth {tokenauth.version()})\n")
    fmt = "{:<3} {:<34} {:<20} {:<13} {:<4} {:<4} {:<18} {:<3} {}"
    print(fmt.format("#", "case", "request", "token", "want", "got", "$tokenauth_status", "ok", "detail"))
    print(fmt.format("--", "----", "-------", "-----", "----", "---", "-----------------", "--", "------"))
    for i, row in enumerate(sc.rows, 1):
        print(fmt.format(i, row.case, row.request, row.token, row.want, row.got, row.got_status,
                         "ok" if row.ok else "XX", row.detail))
    stats = store.stats(tokens.alice.id)
    print(f"\nusage nginx recorded for alice's token (ta_token_stats {tokens.alice.id}):")
    print(f"  use_count {stats['use_count']}, by_operation {stats['by_operation']}, by_status {stats['by_status']}")
    store.close()
    bad = [row for row in sc.rows if not row.ok]
    for row in bad:
        print(f"not as expected: {row.case}: {'; '.join(row.problems)}")
    print(f"demo-nginx: {len(sc.rows) - len(bad)} rows as expected, {len(bad)} not")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
