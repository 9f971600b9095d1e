"""The console's pages, one module each: what it reads (under the tenant's row-level
security for a tenant's data; over the admin connection for the console's own tables and
the operators' cross-tenant pages) and which owner each action goes through."""
