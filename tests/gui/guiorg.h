#pragma once

// A small organisation for the console's tests: a temporary SQLite database made with the
// services (or, with ROSTER_TEST_ENGINE=postgresql, a fresh database on the test server at
// ROSTER_TEST_PG_URL, dropped afterwards), the file transport into a temporary folder, and a clock
// the test moves (STYLE.md rule 8). Header-only so each test executable stays one file plus this.

#include "app/authservice.h"
#include "app/clock.h"
#include "app/mailsetup.h"
#include "app/orgsettings.h"
#include "app/outbox.h"
#include "app/sealer.h"
#include "app/userservice.h"
#include "models/database.h"
#include "models/userrepository.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <atomic>
#include <memory>

namespace roster::test {

class TestClock final : public Clock
{
public:
    // Ten days ago, so that a test can move a week forward and still be near the real time
    // (rosterctl, run by some tests, uses the real clock).
    TestClock() : m_now(QDateTime::currentMSecsSinceEpoch() - 10 * msPerDay) {}
    qint64 nowMs() const override { return m_now.load(); }
    void advance(qint64 ms) { m_now += ms; }

private:
    std::atomic<qint64> m_now;
};

inline constexpr qint64 minutes = 60 * 1000;
inline const QString adminEmail = QStringLiteral("ada@northwind.example");
inline const QString adminPassword = QStringLiteral("correct horse battery staple");

struct Org
{
    QTemporaryDir dir;
    TestClock clock;
    std::unique_ptr<Database> db;
    Session admin;
    QString pgName, pgLocation; // PostgreSQL only

    static bool onPostgres() { return qEnvironmentVariable("ROSTER_TEST_ENGINE") == u"postgresql"; }
    // The database's location: the SQLite file, or the PostgreSQL URL (what ROSTER_DB takes).
    QString dbPath() const
    {
        return pgName.isEmpty() ? dir.filePath(QStringLiteral("org.db")) : pgLocation;
    }
    QString mailDir() const { return dir.filePath(QStringLiteral("mail")); }

    ~Org()
    {
        db.reset();
        if (pgName.isEmpty())
            return;
        auto server = Database::open(qEnvironmentVariable("ROSTER_TEST_PG_URL"),
                                     Database::OpenMode::ServerOnly);
        if (server)
            (void)server.value()->exec(QStringLiteral("DROP DATABASE IF EXISTS ") + pgName +
                                       QStringLiteral(" WITH (FORCE)"));
    }

    bool create()
    {
        if (onPostgres()) {
            const QString admin = qEnvironmentVariable("ROSTER_TEST_PG_URL");
            auto server = Database::open(admin, Database::OpenMode::ServerOnly);
            if (!server) {
                qWarning() << server.error().message;
                return false;
            }
            const QString name =
                QStringLiteral("roster_gui_%1")
                    .arg(QRandomGenerator::global()->generate64() % 100000000000ULL);
            if (Status s = server.value()->exec(QStringLiteral("CREATE DATABASE ") + name); !s) {
                qWarning() << s.error().message;
                return false;
            }
            pgName = name;
            QUrl url(admin);
            url.setPath(u'/' + name);
            pgLocation = url.toString();
        }
        auto opened = Database::open(dbPath(), Database::OpenMode::CreateIfMissing);
        if (!opened) {
            qWarning() << opened.error().message;
            return false;
        }
        db = std::move(opened).value();
        auto s = AuthService::createFirstAdmin(*db, clock, adminEmail, QStringLiteral("Ada Admin"),
                                               adminPassword);
        if (!s) {
            qWarning() << s.error().message;
            return false;
        }
        admin = s.value();
        OrgSettings settings = OrgSettings::load(*db).value();
        settings.organisation = QStringLiteral("Northwind Traders");
        settings.senderAddress = QStringLiteral("invitations@northwind.example");
        settings.acceptUrl = QStringLiteral("https://crm.northwind.example/accept");
        settings.portalAcceptUrl = QStringLiteral("https://portal.northwind.example/accept");
        settings.transport = QStringLiteral("file");
        settings.mailDir = mailDir();
        return bool(settings.save(*db));
    }

    UserService service() { return UserService(*db, clock, admin.userId); }
    InvitationService invitations() { return InvitationService(*db, clock, admin.userId); }

    qint64 add(const QString &name, const QString &email, const QString &profile = {},
               UserKind kind = UserKind::Crm)
    {
        NewUser nu;
        nu.kind = kind;
        nu.name = name;
        nu.email = email;
        nu.profile = profile;
        auto r = service().addUser(nu);
        if (!r)
            qWarning() << r.error().message;
        return r ? r->user.id : 0;
    }

    // What the background worker does, done here and now.
    int deliver()
    {
        auto settings = OrgSettings::load(*db).value();
        auto sealer = Sealer::forDatabase(*db).value();
        auto transport = makeTransport(settings, sealer);
        if (!transport)
            return -1;
        auto reports = Outbox(*db, clock).deliverDue(*transport.value(), sealer);
        return reports ? int(reports->size()) : -1;
    }

    // A token the test knows: a fresh invitation whose link is handed back (past the cooldown).
    QByteArray freshToken(qint64 userId)
    {
        clock.advance(6 * minutes);
        auto r = invitations().copyInviteLink(userId);
        if (!r)
            qWarning() << r.error().message;
        return r ? r->token : QByteArray();
    }

    bool confirm(qint64 userId, const QString &password)
    {
        auto r = InvitationService::acceptInvitation(*db, clock, freshToken(userId), password);
        if (!r)
            qWarning() << r.error().message;
        return bool(r);
    }

    UserRecord user(qint64 id) const { return UserRepository(*db).byId(id).value(); }

    QStringList emlFiles() const
    {
        QDir d(mailDir());
        QStringList out;
        for (const QString &f : d.entryList({QStringLiteral("*.eml")}, QDir::Files, QDir::Name))
            out << d.filePath(f);
        return out;
    }

    // The invitation tokens in the .eml files addressed to `email`, oldest file first (taken
    // from the accept link, undoing quoted-printable soft breaks and =3D).
    QList<QByteArray> tokensFor(const QString &email) const
    {
        QList<QByteArray> out;
        QStringList files = emlFiles();
        for (const QString &path : files) {
            QFile f(path);
            if (!f.open(QIODevice::ReadOnly))
                continue;
            QByteArray raw = f.readAll();
            if (!raw.contains(QByteArray("To: ")) || !raw.contains(email.toUtf8()))
                continue;
            raw.replace("=\r\n", "").replace("=3D", "=");
            static const QRegularExpression re(QStringLiteral("token=([A-Za-z0-9_-]{43})"));
            const auto m = re.match(QString::fromLatin1(raw));
            if (m.hasMatch())
                out << m.captured(1).toLatin1();
        }
        return out;
    }
};

} // namespace roster::test
