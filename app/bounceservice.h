#pragma once

#include "app/clock.h"
#include "app/mail/imap/imapclient.h"
#include "models/database.h"

#include <QList>
#include <QString>

#include <functional>

namespace roster {

class Sealer;
struct OrgSettings;

// What one message of the bounce mailbox did (SPEC §9).
struct BounceLine
{
    enum class Outcome {
        Bounced,    // a failure report: the invitation's mail is now 'bounced'
        Delayed,    // a delay report: recorded in the user's history
        Superseded, // a failure for an invitation since replaced: recorded only
        Delivered,  // a success report (relayed, delivered): nothing to do
        Duplicate,  // a report already applied
        Unmatched,  // a report for no invitation we know: left unseen
        NotAReport, // ordinary mail or an auto-reply: left unseen
    };
    quint32 uid = 0;
    Outcome outcome = Outcome::NotAReport;
    qint64 userId = 0;
    QString email;
    QString diagnostic;
    QString matchedBy; // verp | envid | message-id
    bool flagSeen() const
    {
        return outcome != Outcome::Unmatched && outcome != Outcome::NotAReport;
    }
    bool isReport() const { return outcome != Outcome::NotAReport; }
    static QString outcomeKey(Outcome o); // "bounced", "delayed", ...
};

struct BounceFetchResult
{
    QList<BounceLine> lines; // every message read, reports or not
    int flagged = 0;
    bool more = false; // the session's limit was reached: fetch again
};

// Reads the bounce mailbox and applies its reports: matches each by the VERP tag, else the ENVID,
// else the returned Message-ID; a failure marks the invitation's mail bounced (users.mail_state,
// mail_reply = the diagnostic), audited; a delay, or a failure for an invitation since
// superseded, is audited only. Each report is applied once (bounce_reports keeps a digest).
class BounceService
{
public:
    BounceService(Database &db, const Clock &clock);

    // One message, in its own transaction. Pure of I/O but the database.
    Result<BounceLine> apply(const QByteArray &message, const QString &bounceAddress);
    // One IMAP session with the organisation's settings; blocks in a local event loop (use it
    // from a worker thread or the command line). An Error of kind Mail on a connection or mailbox
    // problem; the high-water mark is kept only when the session ended well.
    // `cancelled`, asked every few milliseconds during the session, ends it early (the console's
    // worker when it quits): what was applied stays, the high-water mark is not moved.
    Result<BounceFetchResult> fetch(const OrgSettings &settings, const Sealer &sealer,
                                    const std::function<bool()> &cancelled = {});

    static Result<ImapSettings> imapSettings(const OrgSettings &settings, const Sealer &sealer);

private:
    Result<quint32> lastUid(const QString &mailbox, quint32 uidValidity) const;
    Status setLastUid(const QString &mailbox, quint32 uidValidity, quint32 uid);

    Database &m_db;
    const Clock &m_clock;
};

} // namespace roster
