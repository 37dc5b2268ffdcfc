// Add New User / Add Portal User: checked as typed, refused duplicates keep the dialog open,
// an accepted user is created unconfirmed with its first invitation queued.

#include "guiorg.h"

#include "ui/adduserdialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTest>

using namespace roster;
using namespace roster::test;

class TestAddUserDialog : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void checksAsYouType();
    void addsAndInvites();
    void duplicateKeepsTheDialogOpen();
    void portalUsersHaveAnAccountNotAProfile();
    void overLongInputIsRefusedNotCut();

private:
    QPushButton *okButton(AddUserDialog &d)
    {
        return d.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    }
    std::unique_ptr<Org> m_org;
};

void TestAddUserDialog::init()
{
    m_org = std::make_unique<Org>();
    QVERIFY(m_org->create());
}

void TestAddUserDialog::checksAsYouType()
{
    AddUserDialog d(*m_org->db, m_org->clock, m_org->admin, UserKind::Crm);
    d.show();
    auto *name = d.findChild<QLineEdit *>(QStringLiteral("nameEdit"));
    auto *email = d.findChild<QLineEdit *>(QStringLiteral("emailEdit"));
    auto *problem = d.findChild<QLabel *>(QStringLiteral("problemLabel"));
    QVERIFY(name && email && problem);
    QVERIFY(!okButton(d)->isEnabled());
    QVERIFY(problem->text().isEmpty());
    QTest::keyClicks(name, QStringLiteral("Nina New"));
    QTest::keyClicks(email, QStringLiteral("nina@@example.com"));
    QVERIFY(!problem->text().isEmpty());
    QVERIFY(!okButton(d)->isEnabled());
    email->clear();
    QTest::keyClicks(email, QStringLiteral("nina@example.com"));
    QVERIFY(problem->text().isEmpty());
    QVERIFY(okButton(d)->isEnabled());
}

void TestAddUserDialog::addsAndInvites()
{
    AddUserDialog d(*m_org->db, m_org->clock, m_org->admin, UserKind::Crm);
    d.show();
    QTest::keyClicks(d.findChild<QLineEdit *>(QStringLiteral("nameEdit")),
                     QStringLiteral("Nina New"));
    QTest::keyClicks(d.findChild<QLineEdit *>(QStringLiteral("emailEdit")),
                     QStringLiteral("nina@example.com"));
    auto *profile = d.findChild<QComboBox *>(QStringLiteral("profileCombo"));
    QVERIFY(profile);
    QCOMPARE(profile->currentText(), QStringLiteral("Standard"));
    profile->setCurrentText(QStringLiteral("User Manager"));
    QTest::mouseClick(okButton(d), Qt::LeftButton);
    QCOMPARE(d.result(), int(QDialog::Accepted));
    QVERIFY(d.outcome());
    QVERIFY(d.outcome()->outboxId > 0);
    const UserRecord u = m_org->user(d.outcome()->user.id);
    QCOMPARE(u.email, QStringLiteral("nina@example.com"));
    QCOMPARE(u.profileName, QStringLiteral("User Manager"));
    QVERIFY(!u.confirmedAt);
    QCOMPARE(u.inviteCount, 1);
    QCOMPARE(u.mailState, QStringLiteral("queued"));
}

void TestAddUserDialog::duplicateKeepsTheDialogOpen()
{
    QVERIFY(m_org->add(QStringLiteral("Nina New"), QStringLiteral("nina@example.com")));
    AddUserDialog d(*m_org->db, m_org->clock, m_org->admin, UserKind::Crm);
    d.show();
    QTest::keyClicks(d.findChild<QLineEdit *>(QStringLiteral("nameEdit")),
                     QStringLiteral("Nina Again"));
    QTest::keyClicks(d.findChild<QLineEdit *>(QStringLiteral("emailEdit")),
                     QStringLiteral("NINA@example.com"));
    QTest::mouseClick(okButton(d), Qt::LeftButton);
    QVERIFY(d.isVisible());
    QVERIFY(!d.outcome());
    QVERIFY(d.findChild<QLabel *>(QStringLiteral("problemLabel"))
                ->text()
                .contains(QStringLiteral("already")));
    QCOMPARE(d.findChild<QLineEdit *>(QStringLiteral("nameEdit"))->text(),
             QStringLiteral("Nina Again"));
}

void TestAddUserDialog::portalUsersHaveAnAccountNotAProfile()
{
    AddUserDialog d(*m_org->db, m_org->clock, m_org->admin, UserKind::Portal);
    d.show();
    QVERIFY(!d.findChild<QComboBox *>(QStringLiteral("profileCombo")));
    auto *account = d.findChild<QLineEdit *>(QStringLiteral("accountEdit"));
    QVERIFY(account);
    QTest::keyClicks(d.findChild<QLineEdit *>(QStringLiteral("nameEdit")),
                     QStringLiteral("Paula Portal"));
    QTest::keyClicks(d.findChild<QLineEdit *>(QStringLiteral("emailEdit")),
                     QStringLiteral("paula@example.com"));
    QTest::keyClicks(account, QStringLiteral("Acme Corp"));
    QTest::mouseClick(okButton(d), Qt::LeftButton);
    QVERIFY(d.outcome());
    const UserRecord u = m_org->user(d.outcome()->user.id);
    QCOMPARE(u.kind, UserKind::Portal);
    QCOMPARE(u.account, QStringLiteral("Acme Corp"));
}

// Issue 13 / SPEC §7: too long is refused with a clear message, never cut to fit. setMaxLength
// cut a pasted address, which could become another valid one.
void TestAddUserDialog::overLongInputIsRefusedNotCut()
{
    for (const UserKind kind : {UserKind::Crm, UserKind::Portal}) {
        AddUserDialog d(*m_org->db, m_org->clock, m_org->admin, kind);
        d.show();
        auto *name = d.findChild<QLineEdit *>(QStringLiteral("nameEdit"));
        auto *email = d.findChild<QLineEdit *>(QStringLiteral("emailEdit"));
        auto *problem = d.findChild<QLabel *>(QStringLiteral("problemLabel"));
        QVERIFY(name && email && problem);
        // Pasted (one insert), as a long address arrives.
        const QString longName(250, u'n');
        name->insert(longName);
        email->insert(QStringLiteral("nina@example.com"));
        QCOMPARE(name->text(), longName);
        QVERIFY2(problem->text().contains(QStringLiteral("250")), qPrintable(problem->text()));
        QVERIFY(!okButton(d)->isEnabled());
        name->clear();
        name->insert(QStringLiteral("Nina"));
        QVERIFY(okButton(d)->isEnabled());
        // 255 characters: cut at 254 it was still a valid (other) address.
        const QString longEmail = QString(241, u'a') + QStringLiteral("@example.com.x");
        QCOMPARE(longEmail.size(), 255);
        email->clear();
        email->insert(longEmail);
        QCOMPARE(email->text(), longEmail);
        QVERIFY(!problem->text().isEmpty());
        QVERIFY(!okButton(d)->isEnabled());
        if (kind == UserKind::Portal) {
            email->clear();
            email->insert(QStringLiteral("nina@example.com"));
            auto *account = d.findChild<QLineEdit *>(QStringLiteral("accountEdit"));
            QVERIFY(account);
            const QString longAccount(201, u'c');
            account->insert(longAccount);
            QCOMPARE(account->text(), longAccount);
            QVERIFY2(problem->text().contains(QStringLiteral("201")), qPrintable(problem->text()));
            QVERIFY(!okButton(d)->isEnabled());
        }
    }
}

QTEST_MAIN(TestAddUserDialog)
#include "tst_adduserdialog.moc"
