"""DNS for the sample portal farm: every `*.test` host is 127.0.0.1 (RFC 2606 reserves `.test`),
so farm URLs keep their real-looking host names and a misconfigured run can never reach a real
portal. Other names resolve normally."""
from __future__ import annotations

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer

TEST_SUFFIX = ".test"
LOOPBACK = "127.0.0.1"


def is_test_host(name: str) -> bool:
    return name.lower().rstrip(".").endswith(TEST_SUFFIX)


class FarmAwareResolver(CachingThreadedResolver):
    def getHostByName(self, name, timeout=()):
        if is_test_host(name):
            return defer.succeed(LOOPBACK)
        return super().getHostByName(name, timeout)

