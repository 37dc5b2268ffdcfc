#include "app/cli/delivery.h"

#include "app/cli/adminsession.h"
#include "app/cli/output.h"
#include "app/mailsetup.h"
#include "app/outbox.h"

namespace roster::cli {

int Delivery::deliver(const QList<qint64> &outboxIds, const QList<DeliveryReport> &earlier)
{
    return run(outboxIds, false, earlier);
}

int Delivery::deliverAllDue()
{
    return run({}, true, {});
}

int Delivery::run(const QList<qint64> &outboxIds, bool allDue, const QList<DeliveryReport> &earlier)
{
    auto mail = m_session.mailAccess();
    if (!mail)
        return fail(mail.error());
    // Checked even when nothing was queued: a command whose mail cannot leave says so.
    auto transport = makeTransport(mail->settings, mail->sealer);
    if (!transport) {
        errorLine(transport.error().message + u' ' + tr("The mail stays queued."));
        return MailError;
    }
    if (!allDue && outboxIds.isEmpty() && earlier.isEmpty())
        return Done;
    // The command's main thread handles no events of its own meanwhile.
    transport.value()->setCallerThreadIsIdle(true);
    Outbox outbox(m_session.db(), m_session.clock());
    // What was sent beside the command is no longer due: the claims below skip it.
    QList<DeliveryReport> reports = earlier;
    if (allDue || !outboxIds.isEmpty()) {
        auto rest = outbox.deliverDue(*transport.value(), mail->sealer, 200,
                                      allDue ? QList<qint64>{} : outboxIds);
        if (!rest)
            return fail(rest.error());
        reports += rest.value();
    }
    int rc = Done;
    for (const DeliveryReport &r : std::as_const(reports)) {
        if (r.claimLost)
            errorLine(tr("Another sender took back the message to %1 while this one was "
                         "sending it, so its result was not saved: it may arrive twice.")
                          .arg(r.recipient));
        if (r.state == u"sent") {
            out() << "sent " << r.recipient << '\n';
        } else {
            rc = Undelivered;
            out() << r.state << ' ' << r.recipient << ": " << r.reply;
            if (r.state == u"deferred")
                out() << " (" << tr("retry at %1").arg(isoTime(r.nextAttemptAt)) << ')';
            out() << '\n';
        }
    }
    // Written together: every result is known by now (a write a line was one system call each).
    out().flush();
    return rc;
}

} // namespace roster::cli
