"""A real SMTP server for the email handler's tests (Debian's python3-aiosmtpd).

    smtp_sink.py DIR PORT [CERT KEY]

Listens on 127.0.0.1:PORT (offering STARTTLS with CERT and KEY when given) and writes each
message it receives to DIR/<n>.json: the envelope's sender and recipients, and the message
as sent. Prints READY once it listens.
"""

import json
import os
import ssl
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        path = os.path.join(self.directory, f"{self.count}.json")
        with open(path + ".tmp", "w") as out:
            json.dump(
                {
                    "from": envelope.mail_from,
                    "to": envelope.rcpt_tos,
                    "tls": session.ssl is not None,
                    "data": envelope.original_content.decode("utf-8", "replace"),
                },
                out,
            )
        os.rename(path + ".tmp", path)
        return "250 Message accepted for delivery"


def main():
    directory, port = sys.argv[1], int(sys.argv[2])
    tls = None
    if len(sys.argv) > 4:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(sys.argv[3], sys.argv[4])
    controller = Controller(
        Sink(directory), hostname="127.0.0.1", port=port, tls_context=tls
    )
    controller.start()
    print("READY", flush=True)
    while True:
        time.sleep(3600)


main()
