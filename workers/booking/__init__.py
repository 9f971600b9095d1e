"""Booking: the free slots offered to a lead, its choice, and its appointments
(tables `booking_offers` and `appointments`, migrations/0017)."""
