#pragma once

#include "app/mail/invitationmail.h"
#include "app/mail/mailtransport.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QString>

#include <limits>
#include <variant>

namespace roster {

class Sealer;

// The accept URL with `token` in its query, as the invitation mail carries it.
QString invitationLink(const QString &acceptUrl, const QByteArray &token);

// An outbox row as a delivery run claimed it.
struct ClaimedMail
{
    qint64 id = 0;
    QString kind;
    qint64 userId = 0;
    QString recipient;
    QByteArray messageId;
    QString payload;
    QString sealedToken;
    int attempts = 0;
    qint64 createdAt = 0;
    QString bounceTag; // VERP tag it goes out with, when a bounce address is set
};

// Builds the message a claimed row sends, with what a delivery run sets up once and every message
// uses: the compiled templates, the VERP tag key, the link of each accept URL split around its
// token.
class OutboxMailBuilder
{
    Q_DECLARE_TR_FUNCTIONS(roster::Outbox)

public:
    // `bounceAddress` empty: mail goes out from the payload's sender, untagged.
    OutboxMailBuilder(const Sealer &sealer, const QString &bounceAddress, QString keyFilePath);

    // The message for `c` (with c.bounceTag set when it goes out tagged), or, when it cannot be
    // built, the result to record instead: deferred when this machine lacks the sealing key
    // (the machine that sealed it can build it), failed otherwise.
    std::variant<OutgoingMessage, DeliveryResult> build(ClaimedMail &c);

private:
    QString link(const QString &acceptUrl, const QByteArray &token);
    // `ms` as local time, with the offset the C library gives, asked once per minute of time
    // (a message's date and its expiry are two): each conversion of a local QDateTime asks it
    // again, and it stats /etc/localtime every time (six system calls a message).
    QDateTime localTime(qint64 ms);

    const Sealer &m_sealer;
    const QString m_bounceAddress;
    const QString m_keyFilePath;
    QByteArray m_tagKey;
    InvitationRenderer m_renderer;
    QString m_linkUrl; // the accept URL whose link is split around its token below
    QString m_linkPrefix, m_linkSuffix;
    bool m_linkSplit = false;
    struct Offset
    {
        qint64 minute = std::numeric_limits<qint64>::min();
        int seconds = 0;
    };
    Offset m_offsets[2];
    int m_nextOffset = 0; // the one replaced next
};

} // namespace roster
