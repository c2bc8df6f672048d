#!/usr/bin/env python3
"""Write one RSS document of N tiny items (default 100 000, about 6.8 MB) to FILE:
   the hostile shape of issue 13, each item a title, a relative link and a date.
   big_feed.py FILE [N]"""
import datetime as dt
import sys


def main():
    path, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    base = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Big</title>'
                '<link>http://big.example/</link>\n')
        for i in range(n):
            when = (base + dt.timedelta(minutes=i)).strftime("%d/%m/%Y %H:%M")
            f.write(f"<item><title>Tin {i}</title><link>/{i}</link><pubDate>{when}</pubDate></item>\n")
        f.write("</channel></rss>\n")


if __name__ == "__main__":
    main()
