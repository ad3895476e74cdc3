"""Stock media: uploads, previews, moderation, licences, royalties and payouts.

Every asset belongs to one stock-media offer of its creator (an offer may hold several assets):
the offer carries the licence prices (StockMediaTerms) and currency, so an asset is listed only
while its offer is published. See ``services`` (upload, review), ``licensing`` (purchase,
downloads), ``royalties`` (platform share tiers) and ``payouts`` (clearance hold -> transfer).
"""
