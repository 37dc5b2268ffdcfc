#pragma once

#include "app/outbox.h"

#include <QList>

namespace roster::cli {

class AdminSession;

// Runs the outbox after a command that queued mail (SPEC §6): delivers the messages it queued,
// or everything that is due, and prints one line per recipient: "sent ADDR", "deferred ADDR:
// REPLY (retry at …)" or "failed ADDR: REPLY". Returns Done, Undelivered when a recipient was
// deferred or failed, or the code of the error it printed (MailError when there is no transport:
// the mail stays queued).
class Delivery
{
public:
    explicit Delivery(AdminSession &session) : m_session(session) {}

    // `earlier`: what a BackgroundDelivery already sent of them, printed first.
    int deliver(const QList<qint64> &outboxIds, const QList<DeliveryReport> &earlier = {});
    int deliverAllDue();

private:
    int run(const QList<qint64> &outboxIds, bool allDue, const QList<DeliveryReport> &earlier);
    AdminSession &m_session;
};

} // namespace roster::cli
