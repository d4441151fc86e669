"""Running sums while logs are read: bytes per listener, user agent, episode and day; clip views; what counted
nothing and why. The rules of counting.py's docstring, applied one request at a time."""

from __future__ import annotations

import collections
import sqlite3

from ..publish.layout import clip_of_page, episode_of_media
from .identity import Anonymizer, network
from .lists import UserAgents
from .readers import Hit


class Counter:
    """Adds hits up per listener, clip and reason skipped, until the caller `take`s the sums (one part of a log)
    and `write`s them. What it learnt of addresses and user agents stays for the next part."""

    def __init__(self, anonymizer: Anonymizer, agents: UserAgents, closed: str) -> None:
        self.anonymizer, self.agents, self.closed = anonymizer, agents, closed
        self.listeners: dict[tuple[str, str, str, str], list] = {}
        self.views: collections.Counter = collections.Counter()
        self.skipped: collections.Counter = collections.Counter()
        self._places: dict[str, tuple[str, str, bool] | None] = {}
        self._episodes: dict[str, str | None] = {}
        self._strings: dict[str, str] = {}

    def who(self, hit: Hit) -> tuple[str, str, bool] | None:
        """(listener key, country, data centre) of a hit; None when its address is no address or its day's window
        has closed."""
        if hit.client is not None:
            return hit.client, hit.country or "ZZ", hit.dc
        place = self.place(hit.address)
        if place is None:
            return None
        try:
            return self.anonymizer.key(place[0], hit.day), place[1], place[2]
        except ValueError:  # the day's window closed
            return None

    def place(self, address: str) -> tuple[str, str, bool] | None:
        """(network, country, data centre) of an address, whatever the day; None when it is no address."""
        found = self._places.get(address)
        if found is None and address not in self._places:
            if len(self._places) > 200_000:
                self._places.clear()
            try:
                found = (network(address), self.anonymizer.country(address), self.anonymizer.is_datacentre(address))
            except ValueError:
                found = None
            self._places[address] = found
        return found

    def episode(self, path: str) -> str | None:
        """The episode whose audio `path` is (publish.layout's rule, remembered per path)."""
        try:
            return self._episodes[path]
        except KeyError:
            if len(self._episodes) > 100_000:
                self._episodes.clear()
            found = self._episodes[path] = episode_of_media(path)
            return found

    def add(self, hit: Hit | None) -> None:
        if hit is None:
            self.skipped["unreadable"] += 1
        elif hit.method == "GET" and hit.status in (200, 206) and not hit.probe:
            episode = self.episode(hit.path)
            if episode is not None:
                if hit.sent > 0:
                    self._audio(hit, episode)
            elif hit.status == 200 and (clip := clip_of_page(hit.path)) is not None:
                if self._listener(hit) is not None:
                    self.views[(hit.day, clip[0], clip[1])] += 1

    def _listener(self, hit: Hit):
        """(agent, who) of a hit from a listener, or None (and the reason counted) when it counts nothing."""
        if hit.day <= self.closed:
            self.skipped["late"] += 1
            return None
        agent = self.agents.classify(hit.ua)
        if agent.bot:
            self.skipped["bot"] += 1
            return None
        who = self.who(hit)
        if who is None:
            self.skipped["unreadable"] += 1
            return None
        if who[2]:
            self.skipped["datacentre"] += 1
            return None
        return agent, who

    def _audio(self, hit: Hit, episode: str) -> None:
        found = self._listener(hit)
        if found is None:
            return
        agent, (client, country, _dc) = found
        key = (hit.day, episode, client, hit.ua)
        entry = self.listeners.get(key)
        if entry is None:
            # one copy of each episode id and user agent however many listeners share it: the sums of a big
            # log take a third less memory
            key = (hit.day, self._strings.setdefault(episode, episode), client,
                   self._strings.setdefault(hit.ua, hit.ua))
            self.listeners[key] = [hit.sent, agent.app, agent.platform, country]
        else:
            entry[0] += hit.sent

    def take(self) -> tuple[dict, collections.Counter, collections.Counter]:
        """The sums since the last `take` (listeners, views, skipped), and a fresh start."""
        sums = self.listeners, self.views, self.skipped
        self.listeners, self.views, self.skipped = {}, collections.Counter(), collections.Counter()
        if len(self._strings) > 100_000:
            self._strings.clear()
        return sums

    @staticmethod
    def write(db: sqlite3.Connection, listeners: dict, views: collections.Counter,
              skipped: collections.Counter) -> None:
        """Add sums to the database (in the caller's transaction)."""
        db.executemany(
            "INSERT INTO listeners VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(day, episode, client, ua) "
            "DO UPDATE SET bytes = bytes + excluded.bytes",
            ((*key, *entry) for key, entry in listeners.items()))
        db.executemany("INSERT INTO views VALUES (?, ?, ?, ?) ON CONFLICT(day, episode, clip) "
                       "DO UPDATE SET count = count + excluded.count", ((*key, n) for key, n in views.items()))
        db.executemany("INSERT INTO skipped VALUES (?, ?) ON CONFLICT(reason) "
                       "DO UPDATE SET count = count + excluded.count", skipped.items())
