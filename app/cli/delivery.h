#pragma once

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

    int deliver(const QList<qint64> &outboxIds);
    int deliverAllDue();

private:
    int run(const QList<qint64> &outboxIds, bool allDue);
    AdminSession &m_session;
};

} // namespace roster::cli
