#include "privatemail.h"

#include "../smtp/smtptestservers.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QStandardPaths>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

namespace testsupport {

namespace {

bool chownTo(const QString &path, uid_t uid, gid_t gid)
{
    return ::chown(QFile::encodeName(path).constData(), uid, gid) == 0;
}

bool writeFile(const QString &path, const QByteArray &data, QString *error)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size()) {
        *error = path + QStringLiteral(": ") + f.errorString();
        return false;
    }
    return true;
}

QString dovecotBinary()
{
    return QStandardPaths::findExecutable(
        QStringLiteral("dovecot"), {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/bin")});
}

} // namespace

// ------------------------------------------------------------------ Dovecot

PrivateDovecot::PrivateDovecot() = default;

PrivateDovecot::~PrivateDovecot()
{
    stop();
}

bool PrivateDovecot::installed()
{
    return !dovecotBinary().isEmpty();
}

bool PrivateDovecot::start(QString *error)
{
    const QString bin = dovecotBinary();
    if (bin.isEmpty()) {
        *error = QStringLiteral("dovecot is not installed (Debian: dovecot-imapd; "
                                "script/bootstrap --test)");
        return false;
    }
    if (!m_dir.isValid()) {
        *error = QStringLiteral("no temporary directory");
        return false;
    }
    if (!TestPki::makeCa(dir(), QStringLiteral("ca"), error) ||
        !TestPki::makeServerCert(dir(), QStringLiteral("ca"), QStringLiteral("server"),
                                 QStringLiteral("DNS:localhost,IP:127.0.0.1"), error))
        return false;
    // Root runs the mail processes as nobody; anyone else as themselves.
    QString userName, groupName;
    if (::getuid() == 0) {
        const struct passwd *pw = ::getpwnam("nobody");
        const struct group *gr = ::getgrnam("nogroup");
        if (!pw || !gr) {
            *error = QStringLiteral("no user nobody or group nogroup");
            return false;
        }
        m_uid = pw->pw_uid;
        m_gid = gr->gr_gid;
        userName = QStringLiteral("nobody");
        groupName = QStringLiteral("nogroup");
    } else {
        m_uid = ::getuid();
        m_gid = ::getgid();
        userName = QString::fromLocal8Bit(::getpwuid(m_uid)->pw_name);
        groupName = QString::fromLocal8Bit(::getgrgid(m_gid)->gr_name);
    }
    // Dovecot's unprivileged processes read the passwd file and the certificate here.
    QFile::setPermissions(dir(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                     QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther |
                                     QFile::ExeOther);
    const QString home = mailRoot() + QStringLiteral("/bounces");
    const QString md = maildir();
    for (const char *sub : {"new", "cur", "tmp"})
        QDir().mkpath(md + u'/' + QString::fromLatin1(sub));
    for (const QString &p : QStringList{mailRoot(), home, md, md + QStringLiteral("/new"),
                                        md + QStringLiteral("/cur"), md + QStringLiteral("/tmp")})
        if (!chownTo(p, m_uid, m_gid)) {
            *error = QStringLiteral("chown ") + p;
            return false;
        }
    if (!writeFile(m_dir.filePath(QStringLiteral("passwd")),
                   QStringLiteral("%1:{PLAIN}%2:%3:%4::%5\n")
                       .arg(user(), QString::fromLatin1(password()))
                       .arg(m_uid)
                       .arg(m_gid)
                       .arg(home)
                       .toUtf8(),
                   error))
        return false;
    m_imapPort = freeLocalPort();
    m_imapsPort = freeLocalPort();
    if (m_imapPort == m_imapsPort) {
        *error = QStringLiteral("no two free ports");
        return false;
    }
    const QString conf = m_dir.filePath(QStringLiteral("dovecot.conf"));
    if (!writeFile(
            conf,
            QStringLiteral(
                "base_dir = %1/run\nstate_dir = %1/state\ninstance_name = roster-test-%2-%5\n"
                "listen = 127.0.0.1\nprotocols = imap\nssl = required\n"
                "ssl_cert = <%1/server.pem\nssl_key = <%1/server.key\n"
                "disable_plaintext_auth = yes\nauth_mechanisms = plain login\n"
                "mail_location = maildir:~/Maildir\nlog_path = %1/dovecot.log\n"
                "default_login_user = %3\ndefault_internal_user = %3\n"
                "default_internal_group = %4\n"
                "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN %1/passwd\n}\n"
                "userdb {\n  driver = passwd-file\n  args = %1/passwd\n}\n"
                "service imap-login {\n  chroot =\n"
                "  inet_listener imap {\n    address = 127.0.0.1\n    port = %5\n  }\n"
                "  inet_listener imaps {\n    address = 127.0.0.1\n    port = %6\n"
                "    ssl = yes\n  }\n}\n"
                "service anvil {\n  chroot =\n}\n")
                .arg(dir())
                .arg(QCoreApplication::applicationPid())
                .arg(userName, groupName)
                .arg(m_imapPort)
                .arg(m_imapsPort)
                .toUtf8(),
            error))
        return false;
    QDir().mkpath(m_dir.filePath(QStringLiteral("run")));
    QDir().mkpath(m_dir.filePath(QStringLiteral("state")));
    m_process.setProcessChannelMode(QProcess::ForwardedChannels);
    m_process.start(bin, {QStringLiteral("-F"), QStringLiteral("-c"), conf});
    if (!m_process.waitForStarted(10000)) {
        *error = m_process.errorString();
        return false;
    }
    if (!waitUntilListening(m_imapPort, 20000) || !waitUntilListening(m_imapsPort, 20000)) {
        *error = QStringLiteral("dovecot did not listen (see %1/dovecot.log)").arg(dir());
        return false;
    }
    return true;
}

void PrivateDovecot::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(10000)) {
        m_process.kill();
        m_process.waitForFinished(10000);
    }
}

bool PrivateDovecot::drop(const QByteArray &message, QString *error)
{
    ++m_dropped;
    // Maildir's unique name: time, a delivery id, the host; never reused within the mailbox.
    const QString path = maildir() + QStringLiteral("/new/17647%1.M%2P%3.roster-test")
                                         .arg(m_dropped)
                                         .arg(m_dropped)
                                         .arg(QCoreApplication::applicationPid());
    return writeFile(path, message, error) &&
           (chownTo(path, m_uid, m_gid) || (*error = QStringLiteral("chown ") + path, false));
}

QStringList PrivateDovecot::maildirFiles(const QString &maildir)
{
    QStringList all;
    for (const char *sub : {"new", "cur"})
        for (const QString &f :
             QDir(maildir + u'/' + QString::fromLatin1(sub)).entryList(QDir::Files))
            all << QString::fromLatin1(sub) + u'/' + f;
    all.sort();
    return all;
}

// ------------------------------------------------------------------ Postfix

PrivatePostfix::~PrivatePostfix()
{
    stop();
}

bool PrivatePostfix::start(const PrivateDovecot &dovecot, QString *error)
{
    const QString bin =
        QStandardPaths::findExecutable(QStringLiteral("postfix"), {QStringLiteral("/usr/sbin")});
    if (bin.isEmpty() || ::getuid() != 0 || !::getpwnam("postfix")) {
        *error = QStringLiteral("needs root and Debian's postfix (mail_owner = postfix)");
        return false;
    }
    const QString d = dovecot.dir() + QStringLiteral("/postfix");
    for (const char *sub : {"conf", "queue", "data"})
        QDir().mkpath(d + u'/' + QString::fromLatin1(sub));
    if (!chownTo(d + QStringLiteral("/data"), ::getpwnam("postfix")->pw_uid, 0)) {
        *error = QStringLiteral("chown data");
        return false;
    }
    QFile master(QStringLiteral("/etc/postfix/master.cf"));
    if (!master.exists())
        master.setFileName(QStringLiteral("/usr/share/postfix/master.cf.dist"));
    if (!master.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("no master.cf to start from");
        return false;
    }
    m_port = freeLocalPort();
    QByteArray out;
    for (QByteArray line : master.readAll().split('\n')) {
        QList<QByteArray> f = line.simplified().split(' ');
        if (!line.isEmpty() && line.front() != '#' && line.front() != ' ' && line.front() != '\t' &&
            f.size() >= 8) {
            if (f.at(0) == "smtp" && f.at(1) == "inet") // our port, loopback only
                f[0] = "127.0.0.1:" + QByteArray::number(m_port);
            f[4] = "n"; // no chroot: the queue has no copies of /etc
            line = f.join(' ');
        }
        out += line + '\n';
    }
    m_mailRoot = dovecot.mailRoot();
    if (!writeFile(d + QStringLiteral("/conf/master.cf"), out, error) ||
        !writeFile(d + QStringLiteral("/conf/transport"),
                   "bouncing.test error:5.1.1 User unknown\nacme.example discard:\n", error) ||
        !writeFile(d + QStringLiteral("/conf/vmailbox"),
                   "bounces@roster.test bounces/Maildir/\narchive@roster.test archive/Maildir/\n"
                   "@inbox.test inbox/Maildir/\n",
                   error) ||
        !writeFile(d + QStringLiteral("/conf/main.cf"),
                   QStringLiteral("compatibility_level = 3.6\nqueue_directory = %1/queue\n"
                                  "data_directory = %1/data\nmail_owner = postfix\n"
                                  "myhostname = mx.roster.test\nmydomain = roster.test\n"
                                  "myorigin = roster.test\nmydestination =\n"
                                  "inet_interfaces = loopback-only\ninet_protocols = ipv4\n"
                                  "mynetworks = 127.0.0.0/8\nrelayhost =\n"
                                  "syslog_name = postfix-roster-test\nmaillog_file = %1/maillog\n"
                                  "maillog_file_prefixes = %1\nrecipient_delimiter = +\n"
                                  "transport_maps = texthash:%1/conf/transport\n"
                                  "smtpd_reject_unlisted_recipient = no\n"
                                  "virtual_mailbox_domains = roster.test, inbox.test\n"
                                  "virtual_mailbox_base = %2\n"
                                  "virtual_mailbox_maps = texthash:%1/conf/vmailbox\n"
                                  "virtual_uid_maps = static:%3\nvirtual_gid_maps = static:%4\n"
                                  "always_bcc = archive@roster.test\n"
                                  "smtpd_relay_restrictions = permit_mynetworks, reject\n"
                                  "alias_maps =\nalias_database =\n"
                                  "local_transport = error:no local delivery\nbiff = no\n")
                       .arg(d, m_mailRoot)
                       .arg(dovecot.mailUid())
                       .arg(dovecot.mailGid())
                       .toUtf8(),
                   error))
        return false;
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(bin, {QStringLiteral("-c"), d + QStringLiteral("/conf"), QStringLiteral("start")});
    if (!p.waitForFinished(60000) || p.exitCode() != 0) {
        QFile log(d + QStringLiteral("/maillog"));
        *error = QStringLiteral("postfix start failed: ") + QString::fromUtf8(p.readAll()) +
                 (log.open(QIODevice::ReadOnly) ? QString::fromUtf8(log.readAll()) : QString());
        return false;
    }
    m_dir = d;
    m_bin = bin;
    if (!waitUntilListening(m_port, 20000)) {
        *error = QStringLiteral("postfix does not listen");
        return false;
    }
    return true;
}

void PrivatePostfix::stop()
{
    if (m_dir.isEmpty())
        return;
    QProcess::execute(
        m_bin, {QStringLiteral("-c"), m_dir + QStringLiteral("/conf"), QStringLiteral("stop")});
    m_dir.clear();
}

} // namespace testsupport
