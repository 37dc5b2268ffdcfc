#include "app/outboxmail.h"

#include "app/bouncetag.h"
#include "app/mail/mimemessage.h"
#include "app/sealer.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>
#include <QUrlQuery>

namespace roster {

namespace {
// A token as tokens.cpp makes it (base64url) is unreserved in a URL: QUrl copies it as it is, so
// the link of a run's accept URL can be made once and the token put in its place.
bool isUnreserved(const QByteArray &token)
{
    for (char c : token)
        if (!isUrlUnreserved(char16_t(uchar(c))))
            return false;
    return !token.isEmpty();
}
// What an outbox row's payload holds (the invitation writer's JSON object), read in one pass
// over its members: looking each one up by name cost more than parsing the whole.
struct Payload
{
    qint64 date = 0;
    qint64 expiresAt = 0;
    bool portal = false;
    QString organisation, inviter, fromName, fromEmail, toName, toEmail, acceptUrl;
};

Payload readPayload(const QString &json)
{
    Payload p;
    const QJsonObject o = QJsonDocument::fromJson(json.toUtf8()).object();
    for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
        const QString key = it.key();
        const QJsonValue v = it.value();
        if (key == u"date")
            p.date = v.toString().toLongLong();
        else if (key == u"expires_at")
            p.expiresAt = v.toString().toLongLong();
        else if (key == u"portal")
            p.portal = v.toBool();
        else if (key == u"organisation")
            p.organisation = v.toString();
        else if (key == u"inviter")
            p.inviter = v.toString();
        else if (key == u"from_name")
            p.fromName = v.toString();
        else if (key == u"from_email")
            p.fromEmail = v.toString();
        else if (key == u"to_name")
            p.toName = v.toString();
        else if (key == u"to_email")
            p.toEmail = v.toString();
        else if (key == u"accept_url")
            p.acceptUrl = v.toString();
    }
    return p;
}
} // namespace

QString invitationLink(const QString &acceptUrl, const QByteArray &token)
{
    QUrl url(acceptUrl);
    QUrlQuery query(url);
    query.removeAllQueryItems(QStringLiteral("token"));
    query.addQueryItem(QStringLiteral("token"), QString::fromLatin1(token));
    url.setQuery(query);
    return url.toString(QUrl::FullyEncoded);
}

OutboxMailBuilder::OutboxMailBuilder(const Sealer &sealer, const QString &bounceAddress,
                                     QString keyFilePath)
    : m_sealer(sealer), m_bounceAddress(bounceAddress.trimmed()),
      m_keyFilePath(std::move(keyFilePath))
{
    if (!m_bounceAddress.isEmpty())
        m_tagKey = verpTagKey(sealer);
}

QString OutboxMailBuilder::link(const QString &acceptUrl, const QByteArray &token)
{
    if (!isUnreserved(token))
        return invitationLink(acceptUrl, token);
    if (m_linkUrl.isNull() || acceptUrl != m_linkUrl) {
        static const QByteArray probe = QByteArrayLiteral("rosterTokenProbe0123456789");
        const QString whole = invitationLink(acceptUrl, probe);
        const qsizetype at = whole.indexOf(QLatin1StringView(probe));
        m_linkUrl = acceptUrl;
        m_linkSplit = at >= 0 && whole.indexOf(QLatin1StringView(probe), at + 1) < 0;
        m_linkPrefix = m_linkSplit ? whole.left(at) : QString();
        m_linkSuffix = m_linkSplit ? whole.mid(at + probe.size()) : QString();
    }
    if (!m_linkSplit)
        return invitationLink(acceptUrl, token);
    return m_linkPrefix + QLatin1StringView(token) + m_linkSuffix;
}

QDateTime OutboxMailBuilder::localTime(qint64 ms)
{
    // Zones change their offset on whole minutes.
    const qint64 minute = ms >= 0 ? ms / 60000 : (ms - 59999) / 60000;
    for (const Offset &o : m_offsets)
        if (o.minute == minute)
            return QDateTime::fromMSecsSinceEpoch(ms, Qt::OffsetFromUTC, o.seconds);
    Offset &o = m_offsets[m_nextOffset];
    m_nextOffset = (m_nextOffset + 1) % 2;
    o.minute = minute;
    o.seconds = QDateTime::fromMSecsSinceEpoch(ms).offsetFromUtc();
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::OffsetFromUTC, o.seconds);
}

std::variant<OutgoingMessage, DeliveryResult> OutboxMailBuilder::build(ClaimedMail &c)
{
    const Payload p = readPayload(c.payload);
    QString error;
    QByteArray data;
    bool keyMissing = false;
    const QDateTime date = localTime(p.date);
    if (c.kind == u"invitation") {
        auto token = m_sealer.unseal(c.sealedToken, c.messageId);
        if (!token) {
            keyMissing = true;
            error = tr("This computer does not hold the key that protects this "
                       "invitation's link (%1): run the delivery where the invitation "
                       "was made, or copy that key file here.")
                        .arg(m_keyFilePath);
        } else {
            InvitationMail m;
            m.portal = p.portal;
            m.organisation = p.organisation;
            m.inviterName = p.inviter;
            m.from = MailAddress{p.fromName, p.fromEmail};
            m.to = MailAddress{p.toName, p.toEmail};
            m.acceptLink = link(p.acceptUrl, *token);
            m.expiresAt = localTime(p.expiresAt);
            m.messageId = c.messageId;
            m.date = date;
            data = m_renderer.render(m, &error);
        }
    } else {
        MimeMessage m;
        m.setFrom(MailAddress{p.fromName, p.fromEmail});
        m.addTo(MailAddress{QString(), p.toEmail});
        m.setSubject(tr("Roster test message from %1").arg(p.organisation));
        m.setMessageId(c.messageId);
        m.setDate(date);
        m.setTextBody(tr("This is a test message sent by Roster to check the mail "
                         "settings. If you can read it, invitations will arrive too.\n"));
        data = m.render(&error);
    }
    if (data.isEmpty()) {
        DeliveryResult r;
        // Without the key this machine cannot build the link, but the machine that sealed it
        // can: defer (another worker may take it when due), don't fail it.
        r.outcome =
            keyMissing ? DeliveryResult::Outcome::Temporary : DeliveryResult::Outcome::Permanent;
        r.reply = error.isEmpty() ? tr("The message could not be built.") : error;
        return r;
    }
    OutgoingMessage msg;
    msg.outboxId = c.id;
    msg.envelopeFrom = p.fromEmail.toUtf8();
    if (c.kind == u"invitation" && !m_bounceAddress.isEmpty()) {
        c.bounceTag = verpTag(m_tagKey, c.id);
        const QByteArray verp = verpAddress(m_bounceAddress, c.bounceTag);
        if (!verp.isEmpty()) {
            msg.envelopeFrom = verp;
            msg.requestDsn = true;
            msg.envelopeId = c.bounceTag.toLatin1();
        } else {
            c.bounceTag.clear();
        }
    }
    msg.recipients = {c.recipient.toUtf8()};
    msg.data = data;
    msg.messageId = c.messageId;
    return msg;
}

} // namespace roster
