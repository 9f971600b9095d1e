"""Booking: the free slots offered to a lead, its choice, and its appointments
(tables `booking_offers` and `appointments`, migrations/0017).

Pure core (no I/O, tables in `tests/unit/booking`): `slots` (GHL's free-slots answer, the
slots picked to offer, the offer / confirmation / taken texts in the lead's timezone and
language), `choice` (which offered slot the lead's words pick), `wants` (does the lead ask
for a showing or a call), `words` (how they read an SMS)."""
