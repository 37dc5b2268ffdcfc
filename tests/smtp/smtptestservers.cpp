#include "smtptestservers.h"

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <unistd.h>

namespace {

bool run(const QString &program, const QStringList &args, const QString &dir, QString *error)
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.setProcessChannelMode(QProcess::MergedChannels);
    QSignalSpy done(&p, &QProcess::finished);
    p.start(program, args);
    if (!done.wait(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        *error = program + u' ' + args.join(u' ') + u": " + QString::fromLocal8Bit(p.readAll()) +
                 p.errorString();
        return false;
    }
    return true;
}

void stopProcess(QProcess &p)
{
    if (p.state() == QProcess::NotRunning)
        return;
    // waitForFinished, not a signal spy: QTest stops spinning event loops once a test failed.
    p.terminate();
    if (!p.waitForFinished(5000)) {
        p.kill();
        p.waitForFinished(5000);
    }
}

} // namespace

bool TestPki::makeCa(const QString &dir, const QString &name, QString *error)
{
    return run(u"openssl"_qs,
               {u"req"_qs, u"-x509"_qs, u"-newkey"_qs, u"ec"_qs, u"-pkeyopt"_qs,
                u"ec_paramgen_curve:prime256v1"_qs, u"-nodes"_qs, u"-keyout"_qs, name + u".key",
                u"-out"_qs, name + u".pem", u"-days"_qs, u"2"_qs, u"-subj"_qs,
                u"/CN=Roster Test CA "_qs + name, u"-addext"_qs,
                u"basicConstraints=critical,CA:TRUE"_qs, u"-addext"_qs,
                u"keyUsage=critical,keyCertSign,cRLSign"_qs},
               dir, error);
}

bool TestPki::makeServerCert(const QString &dir, const QString &ca, const QString &name,
                             const QString &san, QString *error)
{
    QFile ext(dir + u'/' + name + u".ext");
    if (!ext.open(QIODevice::WriteOnly)) {
        *error = ext.errorString();
        return false;
    }
    ext.write("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
              "extendedKeyUsage=serverAuth\nsubjectAltName=" +
              san.toUtf8() + '\n');
    ext.close();
    return run(u"openssl"_qs,
               {u"req"_qs, u"-newkey"_qs, u"ec"_qs, u"-pkeyopt"_qs,
                u"ec_paramgen_curve:prime256v1"_qs, u"-nodes"_qs, u"-keyout"_qs, name + u".key",
                u"-out"_qs, name + u".csr", u"-subj"_qs, u"/CN=roster-test-server"_qs},
               dir, error) &&
           run(u"openssl"_qs,
               {u"x509"_qs, u"-req"_qs, u"-in"_qs, name + u".csr", u"-CA"_qs, ca + u".pem",
                u"-CAkey"_qs, ca + u".key", u"-CAcreateserial"_qs, u"-out"_qs, name + u".pem",
                u"-days"_qs, u"2"_qs, u"-extfile"_qs, name + u".ext"},
               dir, error);
}

QString smtpServerScript()
{
    QString root = qEnvironmentVariable("ROSTER_SOURCE_DIR");
    if (root.isEmpty())
        root = QStringLiteral(ROSTER_SMTP_SOURCE_ROOT); // when run outside ctest
    return root + u"/tests/support/servers/smtp_server.py";
}

quint16 freeLocalPort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

bool waitUntilListening(quint16 port, int timeoutMs)
{
    // Connect attempts, each awaited on its own signals, until one succeeds.
    return QTest::qWaitFor(
        [port] {
            QTcpSocket probe;
            QSignalSpy connected(&probe, &QTcpSocket::connected);
            QSignalSpy failed(&probe, &QTcpSocket::errorOccurred);
            probe.connectToHost(QHostAddress::LocalHost, port);
            (void)QTest::qWaitFor([&] { return !connected.isEmpty() || !failed.isEmpty(); }, 2000);
            const bool ok = !connected.isEmpty();
            probe.abort();
            return ok;
        },
        timeoutMs);
}

AiosmtpdServer::~AiosmtpdServer()
{
    stop();
}

bool AiosmtpdServer::start(const QStringList &args, QString *error)
{
    m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process.start(u"/usr/bin/python3"_qs,
                    QStringList{smtpServerScript(), u"--dir"_qs, m_dir.path()} + args);
    QByteArray out;
    const bool ready = QTest::qWaitFor(
        [&] {
            out += m_process.readAllStandardOutput();
            return out.contains('\n') || m_process.state() == QProcess::NotRunning;
        },
        20000);
    if (!ready || !out.startsWith("READY ")) {
        *error = u"aiosmtpd did not start (is python3-aiosmtpd installed?): "_qs +
                 QString::fromUtf8(out) + m_process.errorString();
        return false;
    }
    m_port = quint16(out.mid(6).trimmed().toUInt());
    return true;
}

QList<StoredMessage> AiosmtpdServer::messages() const
{
    QList<StoredMessage> list;
    const QDir dir(m_dir.path());
    for (const QString &f : dir.entryList({u"*.eml"_qs}, QDir::Files, QDir::Name)) {
        StoredMessage m;
        QFile data(dir.filePath(f));
        if (data.open(QIODevice::ReadOnly))
            m.data = data.readAll();
        QFile meta(dir.filePath(f.chopped(4) + u".json"));
        if (meta.open(QIODevice::ReadOnly))
            m.meta = QJsonDocument::fromJson(meta.readAll()).object();
        list << m;
    }
    return list;
}

QList<QByteArray> AiosmtpdServer::authAttempts() const
{
    QFile log(QDir(m_dir.path()).filePath(u"auth.log"_qs));
    if (!log.open(QIODevice::ReadOnly))
        return {};
    QList<QByteArray> lines = log.readAll().split('\n');
    lines.removeAll(QByteArray());
    return lines;
}

void AiosmtpdServer::stop()
{
    stopProcess(m_process);
}

SmtpSink::~SmtpSink()
{
    stop();
}

bool SmtpSink::start(const QStringList &options, QString *error)
{
    QFile::setPermissions(m_dir.path(), QFileDevice::Permissions(0x7777));
    QStringList args = options;
    if (::geteuid() == 0)
        args << u"-u"_qs << u"nobody"_qs; // smtp-sink refuses to run as root
    args << u"-d"_qs << m_dir.path() + u"/msg-"_qs;
    m_port = freeLocalPort();
    args << u"127.0.0.1:"_qs + QString::number(m_port) << u"128"_qs;
    m_process.setProcessChannelMode(QProcess::ForwardedChannels);
    m_process.start(u"/usr/sbin/smtp-sink"_qs, args);
    if (!waitUntilListening(m_port, 10000) || m_process.state() != QProcess::Running) {
        *error = u"smtp-sink did not start (is postfix installed?): "_qs + m_process.errorString();
        return false;
    }
    return true;
}

int SmtpSink::messageCount() const
{
    return int(QDir(m_dir.path()).entryList({u"msg-*"_qs}, QDir::Files).size());
}

QList<QByteArray> SmtpSink::messages() const
{
    QList<QByteArray> out;
    const QDir dir(m_dir.path());
    for (const QString &name : dir.entryList({u"msg-*"_qs}, QDir::Files, QDir::Name)) {
        QFile f(dir.filePath(name));
        if (f.open(QIODevice::ReadOnly))
            out << f.readAll();
    }
    return out;
}

void SmtpSink::stop()
{
    stopProcess(m_process);
}
