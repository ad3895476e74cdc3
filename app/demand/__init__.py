"""Demand signals: businesses express interest in a category or skill without a pool; creators
see clusters of similar open briefs and interests (by the matching encoder's vectors) in their
demand insights and can start a demand pool from a cluster; the businesses of that cluster are
invited to the pool (app.pools publishes ``PoolOpened``)."""
