"""The live monitor: tracking events in, proactive delay warnings (and rescues) out.

>>> mon = Monitor(plan, promises)          # one day's active plan
>>> mon.start()                            # forecasts from the plan alone
>>> results, warnings = mon.ingest(events) # a batch of TrackingEvents
>>> mon.tick(clock.now())                  # silence and broken promises

Incidents known in advance reach checkout through
:func:`engine.monitor.incidents.quote_adjustment`.  See ``docs/monitor.md``
for the event formats.
"""

from engine.monitor.forecast import CARRIER_TRANSIT, forecast_vehicles
from engine.monitor.incidents import quote_adjustment
from engine.monitor.params import MonitorParams
from engine.monitor.rescue import apply_move, propose
from engine.monitor.watch import EventResult, Monitor, severity_of

__all__ = [
    "CARRIER_TRANSIT",
    "EventResult",
    "Monitor",
    "MonitorParams",
    "apply_move",
    "forecast_vehicles",
    "propose",
    "quote_adjustment",
    "severity_of",
]
