"""CRM write-back: what the pipeline knows about a lead, where agents work (GHL tasks, one
living note per contact, score tags, mapped custom fields)."""
