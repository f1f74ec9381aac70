"""The smart-city platform (城市运行管理服务平台, the county command center): grid events,
dispatch, case feedback and 12345 hotline tickets.

`SmartCityClient.events_by_ids` and `SmartCityClient.tickets_by_ids` are the batch functions the
gateway's loaders call: one request per call, results aligned with the keys.
"""

from connectors.smartcity.client import EventConflict, SmartCityClient, SmartCityConfig
from connectors.smartcity.records import EventSearch, GridEventRecord, HotlineTicketRecord

__all__ = [
    "EventConflict",
    "EventSearch",
    "GridEventRecord",
    "HotlineTicketRecord",
    "SmartCityClient",
    "SmartCityConfig",
]
