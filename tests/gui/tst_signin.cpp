// Sign-in: who gets into the console, and what the others are told.

#include "guiorg.h"

#include "ui/signindialog.h"

#include <QLineEdit>
#include <QPushButton>
#include <QTest>

using namespace roster;
using namespace roster::test;

class TestSignIn : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void byProfile_data();
    void byProfile();
    void wrongPasswordSaysNothingAboutTheEmail();
    void focusStartsInTheEmail();

private:
    bool signIn(const QString &email, const QString &password, SignInDialog &dialog);
    Org m_org;
};

void TestSignIn::initTestCase()
{
    QVERIFY(m_org.create());
    const QString pw = QStringLiteral("a long enough password");
    QVERIFY(
        m_org.confirm(m_org.add(QStringLiteral("Mia Manager"), QStringLiteral("mia@example.com"),
                                QStringLiteral("User Manager")),
                      pw));
    QVERIFY(m_org.confirm(m_org.add(QStringLiteral("Sam Standard"),
                                    QStringLiteral("sam@example.com"), QStringLiteral("Standard")),
                          pw));
    QVERIFY(m_org.confirm(m_org.add(QStringLiteral("Al Admin"), QStringLiteral("al@example.com"),
                                    QStringLiteral("Administrator")),
                          pw));
}

bool TestSignIn::signIn(const QString &email, const QString &password, SignInDialog &dialog)
{
    dialog.show();
    auto *e = dialog.findChild<QLineEdit *>(QStringLiteral("emailEdit"));
    auto *p = dialog.findChild<QLineEdit *>(QStringLiteral("passwordEdit"));
    auto *b = dialog.findChild<QPushButton *>(QStringLiteral("signInButton"));
    if (!e || !p || !b)
        return false;
    e->clear();
    QTest::keyClicks(e, email);
    QTest::keyClicks(p, password);
    QTest::mouseClick(b, Qt::LeftButton);
    return dialog.result() == QDialog::Accepted;
}

void TestSignIn::byProfile_data()
{
    QTest::addColumn<QString>("email");
    QTest::addColumn<bool>("admitted");
    QTest::newRow("first administrator") << adminEmail << true;
    QTest::newRow("administrator") << "al@example.com" << true;
    QTest::newRow("manage users") << "mia@example.com" << true;
    QTest::newRow("standard") << "sam@example.com" << false;
}

void TestSignIn::byProfile()
{
    QFETCH(QString, email);
    QFETCH(bool, admitted);
    SignInDialog dialog(*m_org.db, m_org.clock);
    const QString pw =
        email == adminEmail ? adminPassword : QStringLiteral("a long enough password");
    QCOMPARE(signIn(email, pw, dialog), admitted);
    QCOMPARE(dialog.session().has_value(), admitted);
    if (admitted) {
        QCOMPARE(dialog.session()->email, email);
    } else {
        // Told why, in words: not a wrong-password message.
        QVERIFY(!dialog.message().isEmpty());
        QVERIFY(dialog.isVisible());
        SignInDialog wrong(*m_org.db, m_org.clock);
        signIn(email, QStringLiteral("not the password"), wrong);
        QVERIFY(wrong.message() != dialog.message());
    }
}

void TestSignIn::wrongPasswordSaysNothingAboutTheEmail()
{
    SignInDialog a(*m_org.db, m_org.clock);
    QVERIFY(!signIn(QStringLiteral("mia@example.com"), QStringLiteral("wrong password"), a));
    SignInDialog b(*m_org.db, m_org.clock);
    QVERIFY(!signIn(QStringLiteral("nobody@example.com"), QStringLiteral("wrong password"), b));
    QVERIFY(!a.message().isEmpty());
    QCOMPARE(a.message(), b.message());
    QVERIFY(a.findChild<QLineEdit *>(QStringLiteral("passwordEdit"))->text().isEmpty());
}

void TestSignIn::focusStartsInTheEmail()
{
    SignInDialog dialog(*m_org.db, m_org.clock);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowActive(&dialog));
    QCOMPARE(QApplication::focusWidget(),
             dialog.findChild<QLineEdit *>(QStringLiteral("emailEdit")));
}

QTEST_MAIN(TestSignIn)
#include "tst_signin.moc"
