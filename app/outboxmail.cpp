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
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    return !token.isEmpty();
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

std::variant<OutgoingMessage, DeliveryResult> OutboxMailBuilder::build(ClaimedMail &c)
{
    const QJsonObject p = QJsonDocument::fromJson(c.payload.toUtf8()).object();
    QString error;
    QByteArray data;
    bool keyMissing = false;
    const QDateTime date =
        QDateTime::fromMSecsSinceEpoch(p.value(QStringLiteral("date")).toString().toLongLong());
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
            m.portal = p.value(QStringLiteral("portal")).toBool();
            m.organisation = p.value(QStringLiteral("organisation")).toString();
            m.inviterName = p.value(QStringLiteral("inviter")).toString();
            m.from = MailAddress{p.value(QStringLiteral("from_name")).toString(),
                                 p.value(QStringLiteral("from_email")).toString()};
            m.to = MailAddress{p.value(QStringLiteral("to_name")).toString(),
                               p.value(QStringLiteral("to_email")).toString()};
            m.acceptLink = link(p.value(QStringLiteral("accept_url")).toString(), *token);
            m.expiresAt = QDateTime::fromMSecsSinceEpoch(
                p.value(QStringLiteral("expires_at")).toString().toLongLong());
            m.messageId = c.messageId;
            m.date = date;
            data = m_renderer.render(m, &error);
        }
    } else {
        MimeMessage m;
        m.setFrom(MailAddress{p.value(QStringLiteral("from_name")).toString(),
                              p.value(QStringLiteral("from_email")).toString()});
        m.addTo(MailAddress{QString(), p.value(QStringLiteral("to_email")).toString()});
        m.setSubject(tr("Roster test message from %1")
                         .arg(p.value(QStringLiteral("organisation")).toString()));
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
    msg.envelopeFrom = p.value(QStringLiteral("from_email")).toString().toUtf8();
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
