"""Planning: decide where every instance of a draining host goes, before anything moves.

This layer is pure (standard library and ``vacate.domain`` only, no I/O) and deterministic: the
same inputs give the same plan, ties are broken by host name. It follows Nova's scheduler shape
so operators recognise it: filters (``filters``) say yes or no *with a reason*, weighers
(``weighers``) rank the survivors, ``scheduler.select_destination`` reports which filter removed
how many hosts. ``policy`` maps an instance's state to a verdict, ``estimate`` holds the
migration-time model of DESIGN §5, and ``preflight.plan_drain`` puts it together for a whole
host at once, reserving capacity as it goes. A dry run is ``plan_drain`` alone.
"""
