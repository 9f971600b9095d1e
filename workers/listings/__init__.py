"""The agency's own listings (issue #27): replicated from its MLS over the RESO Web API, or
imported from a CSV with RESO field names; the one owner of `listing_feeds`, and of every
write of `listings` and `comparable_sales` from a feed or a file (migrations/0018).

Core (pure, tables in `tests/unit/listings`): `reso` — the one table of RESO Data Dictionary
`Property` fields, and what a record becomes (a listing with its status, a comparable sale,
removed, invalid with an error naming its field); `csvfile` — a CSV read and validated row by
row, problems with their line numbers; `feed` — a feed's settings as `tenant config` takes
them; `replication` — the watermark (where a sync resumes, what a page moves it to).
Shell: `odata` — the RESO Web API client (httpx: OData paging through `@odata.nextLink`, the
vendor's rate kept client-side, 429 with Retry-After, bearer or OAuth2 client credentials);
`store` — the writers (a page's rows and its watermark in one transaction, the key
reconciliation, the feed's settings with encrypted secrets, the cross-tenant scan); `sync` —
one sync of one tenant and the periodic loop; `service` — the `listings` worker that runs the
loop (`leadmem run listings`). Commands: `leadmem tenant config ID --reso-*`, `leadmem
listings sync|import` (`workers/cli/listings_cmds.py`); `leadmem tenant show` reports them.

Readers: the responder's recommendations and seller insights read `listings` (active) and
`comparable_sales` (`workers/responder/store.py`).
"""
