"""Account access: passwords, two-step verification, household members, moving, email, security."""

from support_content import Scenario

CAT = "account_access"

SCENARIOS = [
    Scenario(
        key="account/reset_email", category=CAT, weight=1.3,
        user=[
            "@missing I [requested|asked for] a password reset [three times|twice|several times] and the email [never "
            "arrives|isn't coming|doesn't show up]. [Checked spam.|Not in junk either.|]",
            "@expired [Forgot my password and|I can't log in -] the reset link [says expired|doesn't work|takes me back to the "
            "login page].",
            "@missing password reset email not coming[ through|]",
        ],
        answer=[
            "@missing {ack_problem} [A few things usually explain this:|Here's what to check:]\n\n- [The subject line is "
            "'Reset your Quillfield password' - search for it, including spam and promotions.|Search your inbox, spam "
            "and promotions folders for 'Reset your Quillfield password'.]\n- [You can request at most 3 resets an "
            "hour; after that, new requests are silently held back, so wait an hour and try once more.|There's a limit "
            "of 3 reset emails per hour - extra requests are ignored until the hour is up.]\n- [If you signed up with "
            "'Sign in with Apple' and hid your email, the reset goes to your Apple relay address, or you can just sign "
            "in with Apple again.|If you originally used Sign in with Apple, use that button instead - there may be no "
            "password on the account.]",
            "@expired [Reset links are valid for 30 minutes and only the newest one works|Each reset link expires after 30 "
            "minutes, and requesting a new one cancels the older links]. [Please request one more reset and open the "
            "newest email straight away.|Request one fresh link and use it within 30 minutes.] [If it opens the login "
            "page instead, copy the link into your phone's browser rather than an in-app browser.|Opening it in the "
            "Mail app's built-in browser sometimes loses the token - paste it into Safari or Chrome instead.]",
            "@missing {ack_problem} [I checked our logs and the reset emails were sent, so they're probably being filtered on "
            "your side.|Our system shows the emails went out, so a filter is the likely culprit.] [Work and school "
            "mailboxes in particular sometimes quarantine them - check any quarantine or 'junk' area in webmail, not "
            "just the app.|Corporate email often holds messages in a quarantine you can only see in the web version.] "
            "[Alternatively, I can change the account to a personal email address after a quick identity check.|If "
            "it's easier, we can move your login to a different address once we've verified it's you.]",
        ],
        retry=["@missing [Waited an hour and tried again|Tried again after an hour], still nothing[ in any folder|]."],
        escalate=["@missing [Thanks for waiting.|Sorry, that's unusual.] [Your email provider may be rejecting our messages - I "
                  "can see the last few were bounced back to us.|Our mail log shows your provider refused the last "
                  "few messages.] [I've sent a one-time sign-in link from our support system instead, which usually "
                  "gets through; it's valid for 30 minutes.|I've sent a sign-in link through a different route; use "
                  "it within 30 minutes and then set a new password under Account > Security.] [Adding us to your "
                  "contacts should stop it happening again.|]"],
        synth={
            "topic": "password reset emails that do not arrive",
            "asks": ["I requested a password reset, but I never received the email. What should I do?", "My "
                     "password reset link says it has expired. How can I reset my password?"],
            "steps": [
                ("Check your spam folder", "The reset email may have been filtered into spam or promotions."),
                ("Wait before retrying", "You can request up to 3 reset emails per hour."),
                ("Use the newest link", "Only the most recent reset link will work, and it expires after 30 "
                 "minutes."),
                ("Open in a browser", "Copy the link into your phone's browser instead of an in-app browser."),
                ("Try Sign in with Apple", "If you created your account with Apple, use that option to sign in."),
            ],
        },
    ),
    Scenario(
        key="account/lost_2fa", category=CAT,
        user=[
            "I [got a new phone|lost my phone|reset my phone] and [now I can't get my 2FA codes|my authenticator app "
            "is gone]. [How do I get back into my account?|I don't have the backup codes.|I need to adjust the "
            "heating!]",
            "[2-step verification|The verification code] is going to my old phone number. [I don't have that number "
            "anymore.|How do I change it if I can't log in?]",
            "[Switched phones|Upgraded my phone] and [didn't move the authenticator|forgot about the 2FA app]. [Now "
            "I'm stuck at the code screen.|The app asks for a 6-digit code I don't have.]",
        ],
        answer=[
            "{ack_problem} [If you saved your backup codes when you set up two-step verification, tap 'Use a backup "
            "code' on the code screen; each of the 10 codes works once.|First option: the 10 backup codes from when you "
            "turned on two-step verification - any unused one gets you in.]\n\n[Without backup codes, we need to "
            "verify your identity before removing 2FA.|If you don't have them, we'll verify it's you and turn off "
            "two-step verification.] [Reply here with the email on the account and either a recent order number or "
            "the last 4 digits of the card on file.|Please reply with your account email and one of: a recent order "
            "number or the last 4 digits of your card.] [It takes 1-2 business days; we'll email you once 2FA is "
            "removed so you can set it up on the new phone.|Verification usually takes 1-2 business days.] [Your "
            "thermostat keeps running its schedule meanwhile, and the controls on the device still work.|Meanwhile, "
            "you can still change the temperature on the thermostat itself.]",
            "{ack_problem} [Because two-step verification protects the account, we can't just switch it off over chat, "
            "but there is a recovery route.|For security we can't bypass two-step verification directly, but we can "
            "recover the account.] [If you still have access to the email on the account, tap 'Can't get a code?' "
            "on the sign-in screen; we'll email a recovery link that removes the old phone after a 24-hour safety "
            "delay.|On the code screen, choose 'Can't get a code?' - we send a recovery link to your account email "
            "and the old device is removed after 24 hours.] [Once you're in, set up two-step verification again under "
            "Account > Security and save the new backup codes somewhere safe.|Afterwards, re-enable it under Account > "
            "Security and keep the backup codes somewhere other than your phone.]",
        ],
        vague=["I'm locked out of my account[ and can't get in|].", "cant log in anymore"],
        clarify=["[Sorry about that - let's get you back in.|I can help with that.] [What happens when you try to sign "
                 "in - is it the password or the verification code that's failing?|Is it the password that isn't "
                 "accepted, or the two-step verification code?]"],
        details=["The code. [It goes to my old phone which I don't have anymore.|My authenticator was on my old phone "
                 "and I didn't save the backup codes.]"],
        synth={
            "topic": "losing access to two-step verification",
            "asks": ["I lost my phone and cannot receive my two-factor authentication codes. How can I access my "
                     "account?", "How do I recover my account without my 2FA device?"],
            "steps": [
                ("Use a backup code", "Enter one of the backup codes you saved when setting up two-step "
                 "verification."),
                ("Contact support", "If you do not have backup codes, contact support to verify your identity."),
                ("Provide verification details", "Be ready to share your account email and a recent order number."),
                ("Set up 2FA again", "Once access is restored, set up two-step verification on your new device."),
                ("Save new backup codes", "Store your new backup codes in a safe place."),
            ],
        },
    ),
    Scenario(
        key="account/household", category=CAT,
        user=[
            "@invite How do I [add|give access to] my [wife|husband|partner|teenager|mother-in-law|roommate] [to|on] the "
            "[thermostat|app|account]? [We don't want to share one login.|They should be able to change the "
            "temperature but not the billing.|]",
            "@energy [My partner|Someone in my house|My daughter] [can't see|doesn't have] the {battery} in their app even "
            "though [I invited them|they accepted the invite].",
        ],
        answer=[
            "@invite {ack_question} [Go to Settings > Home > Members > Invite and enter their email address.|Invite them from "
            "Settings > Home > Members > Invite.] [They'll get an email to create their own Quillfield login (or sign "
            "in with an existing one) and then see the home in their app.|Once they accept, your home appears in their "
            "own app.]\n\n[Members can control all devices, schedules and Eco settings; only the owner can manage "
            "billing, Plus and remove devices.|Members get full control of devices and schedules, while billing, the "
            "subscription and adding or removing devices stay with the owner.] [You can have up to 6 members besides "
            "yourself.|A home can have six members plus the owner.]",
            "@energy [Energy features are limited to the owner by default|By default, the battery and energy pages are "
            "owner-only], [so members see the thermostat but not the {battery}|which is why they can see the "
            "thermostat but not the Vault]. [Go to Settings > Home > Members, tap their name and turn on 'Energy "
            "access'.|Open Settings > Home > Members, pick their name and enable Energy access.] [They'll need to close "
            "and reopen the app afterwards.|It shows up after they restart the app.]",
        ],
        synth={
            "topic": "sharing access with household members",
            "asks": ["How can I give my family members access to our thermostat?", "Can multiple people control the "
                     "thermostat from their own phones?"],
            "steps": [
                ("Open Members settings", "Go to Settings > Home > Members in the Quillfield app."),
                ("Send an invitation", "Tap Invite and enter the email address of the person you want to add."),
                ("Accept the invitation", "The invited person needs to accept the invitation and sign in."),
                ("Set permissions", "Members can control devices, while billing stays with the owner."),
                ("Enable energy access", "Turn on Energy access if members need to see battery data."),
            ],
        },
    ),
    Scenario(
        key="account/moving", category=CAT,
        user=[
            "@leaving We're [moving out|selling the house|moving next month]. [What do I do with the thermostat and my "
            "account?|Do I take the thermostat or leave it?|How do I hand the {battery} over to the buyers?]",
            "@arriving We bought a house that already has a {thermostat}[ and a {battery}|]. [The previous owner's account "
            "still has it.|How do I add it to my account?|It says 'This device belongs to another home'.]",
            "@leaving [Closing on our house next week.|We close on {month_day}.] [What happens to the Plus subscription?|Should I "
            "leave the thermostat for the buyers?|Does the battery warranty go with the house?]",
        ],
        answer=[
            "@leaving {ack_question} [Before you go:|Here's the checklist for moving out:]\n1. [In the app, go to Settings > "
            "Home > Remove home. This unlinks all devices from your account but keeps your account and Plus "
            "subscription.|Settings > Home > Remove home unlinks the devices; your account and subscription stay with "
            "you.]\n2. [Factory reset the thermostat: Menu > Settings > Reset > Factory reset.|On the thermostat, do "
            "Menu > Settings > Reset > Factory reset so the new owners start clean.]\n3. [The {battery} stays with "
            "the house. Fill in the warranty transfer form under Energy > Vault > Transfer ownership so the 10-year "
            "warranty moves to the buyers.|If you have a Vault, the warranty transfers to the new owners - use Energy "
            "> Vault > Transfer ownership in the app.]\n\n[If you'd like to take the thermostat with you, the Plus "
            "subscription can follow it to the new address.|Your Plus subscription moves with your account wherever "
            "you go.]",
            "@arriving {ack_question} [When a device is still linked to the previous owner, we can release it for you.|We can "
            "detach it from the old account.] [Send us a photo of the thermostat's Menu > Settings > About screen (it "
            "shows the serial number) and a document that shows you live at the home, like a closing statement or "
            "utility bill.|We'll need the serial from Menu > Settings > About and proof of address such as a utility "
            "bill or closing documents.] [Once verified (usually 1 business day), you can add it from Devices > Add "
            "device.|After verification - usually within a business day - add it under Devices > Add device.]",
            "@leaving {ack_question} [Your Plus subscription belongs to your account, not the house, so it comes with you; it "
            "simply has no devices until you set up at the new place.|Plus is tied to your account and follows you to "
            "your next home.] [If you're leaving the thermostat, remove the home in the app (Settings > Home > Remove "
            "home) and factory reset it so the buyers can set it up fresh.|Leaving the thermostat behind? Remove the "
            "home under Settings > Home and factory reset the device.] [A Vault warranty does transfer - the buyers "
            "just need to complete the transfer form we send them once you start it under Energy > Vault > Transfer "
            "ownership.|The Vault warranty transfers to the buyers through Energy > Vault > Transfer ownership.|]",
        ],
        synth={
            "topic": "moving to a new home with your Quillfield devices",
            "asks": ["I am moving to a new house. What should I do with my Quillfield thermostat and account?", "How "
                     "do I transfer my smart thermostat to a new homeowner?"],
            "steps": [
                ("Remove your home", "Go to Settings > Home > Remove home to unlink your devices."),
                ("Factory reset the thermostat", "Use Menu > Settings > Reset > Factory reset on the device."),
                ("Transfer the battery warranty", "Use Energy > Vault > Transfer ownership for the new owners."),
                ("Keep your subscription", "Your Plus subscription stays with your account."),
                ("Set up at your new home", "Add your devices again from Devices > Add device."),
            ],
        },
    ),
    Scenario(
        key="account/change_email", category=CAT,
        user=[
            "@change How do I change the email [on my account|I log in with]? [I'm switching providers.|My old work email is "
            "going away.|]",
            "@lost I [can't access|lost access to] my old email and need to [change|update] it on my Quillfield account.",
        ],
        answer=[
            "@change {ack_question} Go to Account > Profile > Email, [enter the new address and your password|type in the new "
            "address and confirm with your password]. [We send a confirmation link to the new address (valid for 24 "
            "hours); the change happens when you click it.|The change takes effect after you click the confirmation "
            "link we send to the new address.] [Your old address gets a notice too, just in case it wasn't you.|For "
            "safety we also notify the old address.]",
            "@lost [No problem - you don't need the old inbox to change it, as long as you can still sign in.|If you can "
            "still log in, you can change it without the old inbox:] Account > Profile > Email, then confirm from the "
            "new address. [If you can't sign in either, we can change it for you after verifying your identity with "
            "a recent order number or the last 4 digits of the card on file.|If you can't sign in, reply with an order "
            "number or the last 4 digits of your card and we'll verify you and update it.]",
            "@change [Sure|Of course] - [it takes a minute|it's quick]: in the app, tap Account > Profile > Email, type the new "
            "address, confirm with your password, then click the link we send to the new inbox (it's valid for 24 "
            "hours). [Until you click it, you keep signing in with the old address.|Your login switches over only once "
            "the link is clicked.] [Schedules, devices and your subscription aren't affected.|Nothing else on the "
            "account changes.]",
            "@lost {ack_problem} [As long as you can still sign in, the old inbox doesn't matter|Losing the old inbox is fine "
            "if you're still signed in to the app]: change it under Account > Profile > Email and confirm from the new "
            "address. [We'll also send a notice to the old address, but you don't need to act on it.|A notice goes to "
            "the old address too, which you can ignore.] [If you're signed out and can't receive our emails, reply "
            "with a recent order number and I'll verify you and make the change from our side.|If you're signed out, "
            "we can verify you with an order number and update it for you.]",
        ],
        synth={
            "topic": "changing the email address on your account",
            "asks": ["How do I change the email address associated with my Quillfield account?", "I no longer have "
                     "access to my old email. How can I update my account?"],
            "steps": [
                ("Open your profile", "Go to Account > Profile > Email in the app."),
                ("Enter the new address", "Type your new email address and confirm with your password."),
                ("Verify the change", "Click the confirmation link sent to your new email address."),
                ("Check your old inbox", "A notification will also be sent to your previous address."),
                ("Contact support", "If you cannot sign in, support can verify your identity and update your "
                 "email."),
            ],
        },
    ),
    Scenario(
        key="account/security", category=CAT,
        user=[
            "@locked [My account is locked|It says my account is temporarily locked]. [I only tried a few times.|What do I "
            "do?|How long does it last?]",
            "@alert I got an email about a [sign-in|login] from [a new device|another country] [that wasn't me|I don't "
            "recognise]. [Should I be worried?|Has my account been hacked?]",
        ],
        answer=[
            "@locked {ack_problem} [After 5 incorrect passwords in a row, we lock sign-in for 15 minutes to protect the "
            "account.|Five wrong passwords lock the account for 15 minutes.] [After that you can try again, or use "
            "'Forgot password' to set a new one, which unlocks it straight away.|Resetting your password also lifts "
            "the lock immediately.] [Your devices keep working normally while the account is locked.|Your thermostat "
            "and schedules aren't affected.]",
            "@alert {ack_problem} [Please change your password now (Account > Security > Change password) and then tap 'Sign "
            "out of all devices' on the same page.|First, change the password under Account > Security and choose "
            "'Sign out of all devices'.] [Then turn on two-step verification if it isn't already.|Turning on two-step "
            "verification afterwards stops this happening again.] [You can see every active session and its location "
            "under Account > Security > Devices.|Account > Security > Devices shows all active sessions.] [If you spot "
            "any changes you didn't make, such as new members or a changed schedule, let me know and I'll go through "
            "the account history with you.|If anything was changed, reply and I'll review the audit history with "
            "you.]",
        ],
        synth={
            "topic": "account security and locked accounts",
            "asks": ["My account is locked after too many login attempts. What should I do?", "I received an alert "
                     "about a login I do not recognize. Is my account safe?"],
            "steps": [
                ("Wait 15 minutes", "Accounts are temporarily locked after several failed login attempts."),
                ("Reset your password", "Use the Forgot password option to create a new password."),
                ("Sign out of all devices", "Go to Account > Security and sign out of all sessions."),
                ("Enable two-step verification", "Add an extra layer of security to your account."),
                ("Review recent activity", "Check Account > Security > Devices for unfamiliar sessions."),
            ],
        },
    ),
    Scenario(
        key="account/two_accounts", category=CAT, weight=0.6,
        user=[
            "I accidentally [made|created] two accounts and [my thermostat is on one and the sensors on the other|my "
            "battery is on one and the thermostat on the other]. Can you merge them?",
        ],
        answer=[
            "{ack_problem} [We can't merge two accounts, but moving devices across is quick:|Accounts can't be merged, "
            "unfortunately, but you can move the devices:]\n1. [Sign in to the account you want to stop using and "
            "remove the device (Devices > the device > Remove).|In the account you won't keep, remove the device under "
            "Devices.]\n2. [Sign in to the account you're keeping and add it with Devices > Add device.|Then add it "
            "from the other account with Devices > Add device.]\n\n[Schedules need to be set up again, but the energy "
            "history comes across with the device.|Energy history moves with the device; schedules need re-creating.] "
            "[If there's a Plus subscription on the account you're leaving, reply and I'll move it over for you.|If "
            "Plus is on the wrong account, I can transfer it - just reply here.] [A {battery} can't be moved by "
            "customers; I'd arrange that from our side.|]",
        ],
        synth={
            "topic": "merging two Quillfield accounts",
            "asks": ["I have two Quillfield accounts. Can they be merged into one?"],
            "steps": [
                ("Choose an account", "Decide which account you want to keep."),
                ("Remove devices", "Remove your devices from the account you no longer need."),
                ("Add devices", "Sign in to the account you are keeping and add the devices."),
                ("Transfer your subscription", "Contact support to move your subscription if needed."),
                ("Recreate schedules", "Set up your schedules again on the new account."),
            ],
        },
    ),
]
