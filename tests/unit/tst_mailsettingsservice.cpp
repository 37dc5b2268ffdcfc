// MailSettingsService (issue 17): the mail and bounce settings' validation, permission and audit
// in one place. Each refusal is compared with what `rosterctl mail configure` / `bounces
// configure` answer for the same values today (the real binary), so the Email settings page and
// the command line give the same reason; the permission and the audit entries likewise.
#include "app/audit.h"
#include "app/mailsettingsservice.h"
#include "app/orgsettings.h"
#include "testsupport.h"

#include <QSqlQuery>
#include <QTest>

using namespace roster;
using namespace testsupport;

Q_DECLARE_METATYPE(roster::MailSettingsChange)
Q_DECLARE_METATYPE(roster::BounceSettingsChange)

namespace {
MailServerInput server(const QString &host, int port, const QString &security,
                       const QString &user = {})
{
    MailServerInput m;
    m.host = host;
    m.port = port;
    m.security = security;
    m.user = user;
    m.password = QStringLiteral("pw");
    return m;
}
} // namespace

class TestMailSettingsService : public QObject
{
    Q_OBJECT
    std::unique_ptr<TestOrg> org;

    QString cliError(const QStringList &args, int *exitCode)
    {
        const RunResult r = rosterctl(args, "pw\n", org->rosterctlEnvironment());
        *exitCode = r.exitCode;
        QString e = r.err.trimmed();
        e.remove(QStringLiteral("rosterctl: "));
        e.remove(QStringLiteral(" (see \"rosterctl --help\")"));
        return e;
    }
    QStringList auditDetails(const QString &action)
    {
        QStringList out;
        const auto entries = readAudit(org->db(), 100);
        for (const AuditEntry &e : entries.value())
            if (e.action == action)
                out << e.detail;
        return out;
    }

private Q_SLOTS:
    void init()
    {
        org = std::make_unique<TestOrg>();
        QVERIFY2(org->isValid(), qPrintable(org->error()));
    }
    void cleanup() { org.reset(); }

    void bounceRefusalsAreRosterctls_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<BounceSettingsChange>("change");
        const QStringList conf{QStringLiteral("bounces"), QStringLiteral("configure")};
        BounceSettingsChange c;
        c.address = QStringLiteral("bounces+x@acme.example");
        QTest::newRow("'+' in the address")
            << conf + QStringList{QStringLiteral("--address"), *c.address} << c;
        c.address = QStringLiteral("not an address");
        QTest::newRow("invalid address")
            << conf + QStringList{QStringLiteral("--address"), *c.address} << c;
        const auto mailbox = [&](const MailServerInput &m, const QStringList &extra = {}) {
            BounceSettingsChange b;
            b.mailbox = m;
            return std::make_pair(conf +
                                      QStringList{QStringLiteral("--host"), m.host,
                                                  QStringLiteral("--port"), QString::number(m.port),
                                                  QStringLiteral("--security"), m.security,
                                                  QStringLiteral("--user"), m.user} +
                                      extra,
                                  b);
        };
        auto [a1, b1] = mailbox(
            server(QStringLiteral("imap acme"), 993, QStringLiteral("tls"), QStringLiteral("bob")));
        QTest::newRow("a space in the host") << a1 << b1;
        auto [a2, b2] = mailbox(
            server(QStringLiteral("imap.acme"), 0, QStringLiteral("tls"), QStringLiteral("bob")));
        QTest::newRow("port 0") << a2 << b2;
        auto [a3, b3] = mailbox(
            server(QStringLiteral("imap.acme"), 993, QStringLiteral("ssl"), QStringLiteral("bob")));
        QTest::newRow("unknown security") << a3 << b3;
        MailServerInput withCa =
            server(QStringLiteral("imap.acme"), 993, QStringLiteral("tls"), QStringLiteral("bob"));
        withCa.caFile = QStringLiteral("/nonexistent/ca.pem");
        auto [a4, b4] = mailbox(withCa, {QStringLiteral("--ca-file"), withCa.caFile});
        QTest::newRow("unreadable CA file") << a4 << b4;
    }
    void bounceRefusalsAreRosterctls()
    {
        QFETCH(QStringList, args);
        QFETCH(BounceSettingsChange, change);
        const QString before = org->dump();
        MailSettingsService service(org->db(), org->clock(), org->adminId());
        const Status s = service.saveBounces(change);
        QVERIFY(!s);
        QCOMPARE(s.error().kind, ErrorKind::Invalid);
        int exit = 0;
        QCOMPARE(cliError(args, &exit), s.error().message);
        QCOMPARE(exit, 2);
        QCOMPARE(service.bounceProblem(change), s.error().message);
        QCOMPARE(org->dump(), before);
    }

    void mailRefusalsAreRosterctls_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<MailSettingsChange>("change");
        const QStringList conf{QStringLiteral("mail"), QStringLiteral("configure")};
        MailSettingsChange c;
        c.transport = QStringLiteral("smtp");
        c.smtp = server(QStringLiteral("smtp.acme"), 70000, QStringLiteral("tls"));
        c.smtp.password.reset();
        QTest::newRow("port out of range")
            << conf + QStringList{QStringLiteral("--transport"), QStringLiteral("smtp"),
                                  QStringLiteral("--host"),      QStringLiteral("smtp.acme"),
                                  QStringLiteral("--port"),      QStringLiteral("70000"),
                                  QStringLiteral("--security"),  QStringLiteral("tls")}
            << c;
        c.smtp = server(QStringLiteral("smtp acme"), 25, QStringLiteral("none"));
        c.smtp.password.reset();
        QTest::newRow("a space in the host")
            << conf + QStringList{QStringLiteral("--transport"), QStringLiteral("smtp"),
                                  QStringLiteral("--host"),      QStringLiteral("smtp acme"),
                                  QStringLiteral("--port"),      QStringLiteral("25"),
                                  QStringLiteral("--security"),  QStringLiteral("none")}
            << c;
        MailSettingsChange d;
        d.sender = QStringLiteral("Acme <noreply@acme.example>");
        d.senderName = QStringLiteral("Other");
        QTest::newRow("a named sender and a sender name")
            << conf + QStringList{QStringLiteral("--from"), *d.sender,
                                  QStringLiteral("--from-name"), *d.senderName}
            << d;
        MailSettingsChange u;
        u.acceptUrl = QStringLiteral("ftp://acme.example/accept");
        QTest::newRow("accept URL")
            << conf + QStringList{QStringLiteral("--accept-url"), *u.acceptUrl} << u;
        MailSettingsChange o;
        o.organisation = QString(201, u'x');
        QTest::newRow("organisation too long")
            << conf + QStringList{QStringLiteral("--org"), *o.organisation} << o;
        MailSettingsChange k;
        k.cooldownMinutes = 20000;
        QTest::newRow("cooldown") << conf + QStringList{QStringLiteral("--cooldown-minutes"),
                                                        QStringLiteral("20000")}
                                  << k;
        MailSettingsChange r;
        r.reminderDays = 9;
        QTest::newRow("reminder") << conf + QStringList{QStringLiteral("--reminder-days"),
                                                        QStringLiteral("9")}
                                  << r;
        MailSettingsChange t;
        t.transport = QStringLiteral("pigeon");
        QTest::newRow("transport")
            << conf + QStringList{QStringLiteral("--transport"), QStringLiteral("pigeon")} << t;
    }
    void mailRefusalsAreRosterctls()
    {
        QFETCH(QStringList, args);
        QFETCH(MailSettingsChange, change);
        const QString before = org->dump();
        MailSettingsService service(org->db(), org->clock(), org->adminId());
        const Status s = service.saveMail(change);
        QVERIFY(!s);
        QCOMPARE(s.error().kind, ErrorKind::Invalid);
        int exit = 0;
        QCOMPARE(cliError(args, &exit), s.error().message);
        QCOMPARE(exit, 2);
        QCOMPARE(org->dump(), before);
    }

    // Only an administrator, re-read where the settings are written: the same words and the
    // same kind (rosterctl: exit 3) as the command line.
    void onlyAnAdministrator()
    {
        const qint64 manager = org->addConfirmedUser(QStringLiteral("mia@acme.example"),
                                                     QStringLiteral("User Manager"));
        QVERIFY(manager);
        MailSettingsService service(org->db(), org->clock(), manager);
        BounceSettingsChange b;
        b.address = QStringLiteral("bounces@acme.example");
        const Status s = service.saveBounces(b);
        QVERIFY(!s);
        QCOMPARE(s.error().kind, ErrorKind::Refused);
        QProcessEnvironment env = org->rosterctlEnvironment();
        env.insert(QStringLiteral("ROSTER_AS"), QStringLiteral("mia@acme.example"));
        const RunResult r = rosterctl({QStringLiteral("bounces"), QStringLiteral("configure"),
                                       QStringLiteral("--address"), *b.address},
                                      {}, env);
        QCOMPARE(r.exitCode, 3);
        QCOMPARE(r.err.trimmed(), QStringLiteral("rosterctl: ") + s.error().message);
        MailSettingsChange m;
        m.organisation = QStringLiteral("Mia's");
        const Status t = service.saveMail(m);
        QVERIFY(!t);
        QCOMPARE(t.error().message, s.error().message);
        QVERIFY(auditDetails(QStringLiteral("settings.bounces")).isEmpty());
        QVERIFY(auditDetails(QStringLiteral("settings.mail")).isEmpty());
    }

    // The same change written by either path leaves the same settings and audit entry.
    void savesAndAuditsAsRosterctlDoes()
    {
        MailSettingsService service(org->db(), org->clock(), org->adminId());
        BounceSettingsChange b;
        b.address = QStringLiteral("bounces@acme.example");
        b.mailbox = server(QStringLiteral("imap.acme.example"), 993, QStringLiteral("tls"),
                           QStringLiteral("bounces"));
        b.folder = QStringLiteral("Reports");
        const Status s = service.saveBounces(b);
        QVERIFY2(s, s ? "" : qPrintable(s.error().message));
        const OrgSettings mine = OrgSettings::load(org->db()).value();
        const RunResult r = rosterctl(
            {QStringLiteral("bounces"), QStringLiteral("configure"), QStringLiteral("--address"),
             *b.address, QStringLiteral("--host"), b.mailbox->host, QStringLiteral("--port"),
             QStringLiteral("993"), QStringLiteral("--security"), QStringLiteral("tls"),
             QStringLiteral("--user"), QStringLiteral("bounces"), QStringLiteral("--mailbox"),
             QStringLiteral("Reports")},
            "pw\n", org->rosterctlEnvironment());
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const OrgSettings theirs = OrgSettings::load(org->db()).value();
        QCOMPARE(mine.bounceAddress, theirs.bounceAddress);
        QCOMPARE(mine.imapHost, theirs.imapHost);
        QCOMPARE(mine.imapPort, theirs.imapPort);
        QCOMPARE(mine.imapSecurity, theirs.imapSecurity);
        QCOMPARE(mine.imapUser, theirs.imapUser);
        QCOMPARE(mine.imapMailbox, theirs.imapMailbox);
        QVERIFY(!mine.imapPasswordSealed.isEmpty());
        const QStringList details = auditDetails(QStringLiteral("settings.bounces"));
        QCOMPARE(details.size(), 2);
        QCOMPARE(details[0], details[1]);
        QCOMPARE(details[0],
                 QStringLiteral("address bounces@acme.example; imap imap.acme.example:993 tls "
                                "Reports"));

        // No password given and none saved for a new mailbox user: refused, nothing written.
        BounceSettingsChange other;
        other.mailbox = server(QStringLiteral("imap.acme.example"), 993, QStringLiteral("tls"),
                               QStringLiteral("someone-else"));
        other.mailbox->password.reset();
        const Status refused = service.saveBounces(other);
        QVERIFY(!refused);
        QVERIFY(refused.error().message.contains(QStringLiteral("someone-else")));
        QCOMPARE(OrgSettings::load(org->db())->imapUser, QStringLiteral("bounces"));

        MailSettingsChange m;
        m.transport = QStringLiteral("file");
        m.mailDir = org->mailDir();
        QVERIFY(service.saveMail(m));
        const RunResult f = rosterctl({QStringLiteral("mail"), QStringLiteral("configure"),
                                       QStringLiteral("--transport"), QStringLiteral("file"),
                                       QStringLiteral("--dir"), org->mailDir()},
                                      {}, org->rosterctlEnvironment());
        QVERIFY2(f.exitCode == 0, qPrintable(f.err));
        const QStringList mail = auditDetails(QStringLiteral("settings.mail"));
        QCOMPARE(mail.size(), 2);
        QCOMPARE(mail[0], mail[1]);
    }
};

QTEST_GUILESS_MAIN(TestMailSettingsService)
#include "tst_mailsettingsservice.moc"
