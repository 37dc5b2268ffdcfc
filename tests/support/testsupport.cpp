#include "testsupport.h"

#include "app/mail/filetransport.h"
#include "app/outbox.h"
#include "app/passwordhasher.h"
#include "app/sealer.h"
#include "app/userservice.h"
#include "models/userfilter.h"

#include <algorithm>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>
#include <QUrl>

namespace testsupport {

using namespace roster;

QStringList engines()
{
    QStringList e{QStringLiteral("sqlite")};
    if (!qEnvironmentVariableIsEmpty("ROSTER_TEST_PG_URL"))
        e << QStringLiteral("postgresql");
    return e;
}

TestOrg::TestOrg(QString engine) : m_engine(std::move(engine))
{
    qputenv("ROSTER_KEY_FILE", (m_dir.path() + QStringLiteral("/sealing.key")).toLocal8Bit());
    if (m_engine == u"postgresql") {
        const QString admin = qEnvironmentVariable("ROSTER_TEST_PG_URL");
        if (admin.isEmpty()) {
            m_error = QStringLiteral("ROSTER_TEST_PG_URL is not set");
            return;
        }
        m_pgName = QStringLiteral("roster_test_%1")
                       .arg(QRandomGenerator::global()->generate64() % 100000000000ULL);
        {
            auto server = Database::open(admin, Database::OpenMode::ServerOnly);
            if (!server) {
                m_error = server.error().message;
                return;
            }
            if (Status s = server.value()->exec(QStringLiteral("CREATE DATABASE ") + m_pgName);
                !s) {
                m_error = s.error().message;
                return;
            }
        }
        QUrl url(admin);
        url.setPath(u'/' + m_pgName);
        m_location = url.toString();
    } else {
        m_location = m_dir.path() + QStringLiteral("/roster.db");
    }
    auto db = Database::open(m_location, Database::OpenMode::CreateIfMissing);
    if (!db) {
        m_error = db.error().message;
        return;
    }
    m_db = std::move(db).value();
    auto admin = AuthService::createFirstAdmin(*m_db, m_clock, adminEmail(),
                                               QStringLiteral("Ada Admin"), adminPassword());
    if (!admin) {
        m_error = admin.error().message;
        m_db.reset();
        return;
    }
    m_admin = admin.value();
    auto s = OrgSettings::load(*m_db);
    OrgSettings st = s.value();
    st.organisation = QStringLiteral("Acme");
    st.senderAddress = QStringLiteral("invites@acme.example");
    st.transport = QStringLiteral("file");
    st.mailDir = mailDir();
    st.acceptUrl = QStringLiteral("https://crm.acme.example/accept");
    st.portalAcceptUrl = QStringLiteral("https://portal.acme.example/accept");
    if (Status r = st.save(*m_db); !r)
        m_error = r.error().message;
}

TestOrg::~TestOrg()
{
    m_db.reset();
    if (!m_pgName.isEmpty()) {
        auto server = Database::open(qEnvironmentVariable("ROSTER_TEST_PG_URL"),
                                     Database::OpenMode::ServerOnly);
        if (server)
            (void)server.value()->exec(QStringLiteral("DROP DATABASE IF EXISTS ") + m_pgName +
                                       QStringLiteral(" WITH (FORCE)"));
    }
}

qint64 TestOrg::addConfirmedUser(const QString &email, const QString &profile, UserKind kind)
{
    static const QString hash = PasswordHasher::hash(adminPassword());
    QSqlQuery q = m_db->prepare(QStringLiteral(
        "INSERT INTO users (kind, email, email_key, name, name_key, profile_id, active, "
        "confirmed_at, "
        "created_at, updated_at, password_hash) VALUES (?, ?, ?, ?, ?, (SELECT id FROM profiles "
        "WHERE name = ?), 1, ?, ?, ?, ?) RETURNING id"));
    q.addBindValue(userKindKey(kind));
    q.addBindValue(email);
    q.addBindValue(userEmailKey(email));
    q.addBindValue(email.section(u'@', 0, 0));
    q.addBindValue(nameKey(email.section(u'@', 0, 0)));
    q.addBindValue(profile);
    q.addBindValue(m_clock.nowMs());
    q.addBindValue(m_clock.nowMs());
    q.addBindValue(m_clock.nowMs());
    q.addBindValue(hash);
    if (!m_db->exec(q) || !q.next())
        return 0;
    return q.value(0).toLongLong();
}

UserKind TestOrg::testKind()
{
    return qEnvironmentVariable("ROSTER_TEST_KIND") == u"portal" ? UserKind::Portal : UserKind::Crm;
}

qint64 TestOrg::addUnconfirmedUser(const QString &email, const QString &name, UserKind kind)
{
    UserService service(*m_db, m_clock, adminId());
    NewUser nu;
    nu.kind = kind;
    nu.email = email;
    nu.name = name;
    auto r = service.addUser(nu);
    if (!r) {
        qWarning() << "addUser failed:" << r.error().message;
        return 0;
    }
    return r->user.id;
}

int TestOrg::deliver()
{
    auto sealer = Sealer::forDatabase(*m_db);
    if (!sealer)
        return -1;
    FileTransport transport(mailDir());
    // Each file's name a second after the last one's: files written within one tick of the file
    // system's clock share their mtime, and emlFiles() then orders them by name (write order).
    static QDateTime last;
    transport.setClock([] {
        QDateTime t = QDateTime::currentDateTime();
        if (last.isValid() && t < last.addSecs(1))
            t = last.addSecs(1);
        return last = t;
    });
    Outbox outbox(*m_db, m_clock);
    auto reports = outbox.deliverDue(transport, sealer.value());
    if (!reports)
        return -1;
    int sent = 0;
    for (const auto &r : reports.value())
        sent += r.state == u"sent";
    return sent;
}

QString TestOrg::dump()
{
    QString out;
    for (const char *table :
         {"meta", "settings", "profiles", "users", "invitations", "outbox", "audit_log"}) {
        QSqlQuery q(m_db->connection());
        q.exec(QStringLiteral("SELECT * FROM %1 ORDER BY 1").arg(QString::fromLatin1(table)));
        out += QString::fromLatin1(table) + u'\n';
        while (q.next()) {
            QStringList cells;
            for (int i = 0; i < q.record().count(); ++i)
                cells << q.value(i).toString();
            out += cells.join(u'|') + u'\n';
        }
    }
    return out;
}

qint64 TestOrg::scalar(const QString &sql, const QVariantList &binds)
{
    QSqlQuery q = m_db->prepare(sql);
    for (const QVariant &b : binds)
        q.addBindValue(b);
    if (!m_db->exec(q) || !q.next())
        return -1;
    return q.value(0).toLongLong();
}

QProcessEnvironment TestOrg::rosterctlEnvironment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("ROSTER_DB"), m_location);
    env.insert(QStringLiteral("ROSTER_AS"), adminEmail());
    env.insert(QStringLiteral("ROSTER_PASSWORD"), adminPassword());
    env.insert(QStringLiteral("ROSTER_KEY_FILE"), m_dir.path() + QStringLiteral("/sealing.key"));
    const qint64 offset = m_clock.nowMs() - QDateTime::currentMSecsSinceEpoch();
    env.insert(QStringLiteral("ROSTER_CLOCK_OFFSET_MS"), QString::number(offset));
    return env;
}

RunResult rosterctl(const QStringList &args, const QByteArray &input,
                    const QProcessEnvironment &env)
{
    RunResult r;
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(qEnvironmentVariable("ROSTERCTL"), args);
    if (!p.waitForStarted(10000)) {
        r.err = QStringLiteral("rosterctl did not start: ") + p.errorString();
        return r;
    }
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(120000)) {
        p.kill();
        r.err = QStringLiteral("rosterctl timed out");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QList<RunResult> rosterctlTogether(const QList<QStringList> &commands,
                                   const QProcessEnvironment &env, int timeoutMs)
{
    std::vector<std::unique_ptr<QProcess>> procs;
    for (const QStringList &args : commands) {
        auto p = std::make_unique<QProcess>();
        p->setProcessEnvironment(env);
        p->start(qEnvironmentVariable("ROSTERCTL"), args);
        procs.push_back(std::move(p));
    }
    QList<RunResult> out;
    for (auto &p : procs) {
        p->closeWriteChannel();
        RunResult r;
        if (p->waitForFinished(timeoutMs) && p->exitStatus() == QProcess::NormalExit)
            r.exitCode = p->exitCode();
        else
            p->kill();
        r.out = QString::fromUtf8(p->readAllStandardOutput());
        r.err = QString::fromUtf8(p->readAllStandardError());
        out.append(r);
    }
    return out;
}

QStringList emlFiles(const QString &dir)
{
    // Oldest first. Two files written within one tick of the file system's clock have the same
    // mtime; QDir's Time|Reversed would then put them in *descending* name order. The transport
    // names files after its own clock (which tests advance), so ties fall back to the name,
    // ascending.
    QDir d(dir);
    QFileInfoList infos = d.entryInfoList({QStringLiteral("*.eml")}, QDir::Files, QDir::Name);
    std::stable_sort(infos.begin(), infos.end(), [](const QFileInfo &a, const QFileInfo &b) {
        return a.lastModified() < b.lastModified();
    });
    QStringList out;
    for (const QFileInfo &i : infos)
        out << i.absoluteFilePath();
    return out;
}

QStringList newFiles(const QStringList &before, const QStringList &after)
{
    QStringList out;
    for (const QString &f : after)
        if (!before.contains(f))
            out << f;
    return out;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

QByteArray decodeQuotedPrintable(const QByteArray &in)
{
    QByteArray out;
    for (qsizetype i = 0; i < in.size(); ++i) {
        const char c = in.at(i);
        if (c == '=' && i + 2 < in.size() + 0) {
            if (in.at(i + 1) == '\r' && i + 2 < in.size() && in.at(i + 2) == '\n') {
                i += 2;
                continue;
            }
            if (in.at(i + 1) == '\n') {
                i += 1;
                continue;
            }
            out += QByteArray::fromHex(in.mid(i + 1, 2));
            i += 2;
            continue;
        }
        out += c;
    }
    return out;
}

QByteArray tokenFromMessage(const QByteArray &message)
{
    static const QRegularExpression re(
        QStringLiteral("token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])"));
    const auto m = re.match(QString::fromLatin1(decodeQuotedPrintable(message)));
    return m.hasMatch() ? m.captured(1).toLatin1() : QByteArray();
}

} // namespace testsupport
