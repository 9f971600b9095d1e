"""The owner of `tenants` and `tenant_settings`: one typed model (`model.TenantSettings`), one
read every worker embeds in its own statement (`store.COLUMNS` + `store.joins`, then
`model.from_row`), one writer (`store.ensure/add/set_ai/update`, and the install lifecycle:
`store.install/uninstall/go_live/purged`) and the one place input is validated (`validate`).
Core: `model`, `validate`, `lifecycle` (the install lifecycle's transitions; pure). Shell:
`store`.
"""

from workers.tenants.model import TenantSettings

__all__ = ["TenantSettings"]
