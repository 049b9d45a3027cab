// Package billing is the registry's money: amounts (Money, integer minor
// units with their currency, never floats), the price list (Prices), and
// resellers' prepaid ledgers (Ledger).
//
// Reseller-managed domains are paid from the reseller's prepaid balance:
// the registry calls Ledger.Charge in the transaction that creates, renews,
// transfers or restores the domain, and Ledger.Refund in the one that
// deletes it inside a grace period. The operator tops balances up and
// adjusts them from the command line; a reseller reads its balance over EPP
// (Verisign's balance-1.0) and is warned by poll message when a charge takes
// it below a configured threshold.
//
// Prices are per TLD and operation and change from a given day on; TLDs
// and operations without a configured price cost the built-in defaults:
// create, renew and transfer SEK 100.00 a year, restore SEK 500.00, and the
// reminder fee of a bill SEK 25.00.
//
// The billing calendar (CalendarConfig.Schedule) gives the date of every
// step of a registrant-managed domain's bill, from notice to
// deregistration (DOMAIN.md section 4). Messages to people go through the
// outbox: e-mails delivered over SMTP with retry (Deliverer.DeliverDue),
// paper letters written as batch files for the print vendor
// (Deliverer.WriteLetterBatch), each enqueued once under an idempotency
// key. The bills themselves, and the daily run that forms them and walks
// them through the calendar, are not here yet.
package billing
