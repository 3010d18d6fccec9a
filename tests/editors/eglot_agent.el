;;; eglot_agent.el --- Emacs 28 + eglot 1.9 + the ChatLS helper in agent mode  -*- lexical-binding: t -*-

;;; Commentary:

;; `chatls-attach-buffer' / `chatls-attach-region' before a question, then `chatls-agent' on a small project
;; whose model (the emulator's tool script) lists, reads, searches and proposes one multi-file edit; the
;; server asks with window/showMessageRequest, which eglot puts to the user with `completing-read' — here
;; answered with the plan's answer, as a user would pick it.  Allowed, the edit reaches eglot, which asks
;; its own `y-or-n-p' (the files are not visited), answered yes.  Then an agent turn that asks to run a
;; command (commands enabled in the initialization options), answered the same way.
;; Run by test_agent_editors.py; observes only.

;;; Code:

(load (expand-file-name "e2e.el" (file-name-directory load-file-name)) nil t)
(add-to-list 'load-path (expand-file-name (e2e-get :pluginDir)))
(require 'chatls)
(e2e-record-messages)

(defun e2e-wait-result ()
  (e2e-wait-for (lambda () chatls-last-result))
  (prog1 chatls-last-result (setq chatls-last-result nil)))

(defvar e2e-asked nil "The questions eglot asked, newest first.")

(defun e2e-disk (rel)
  (let ((path (expand-file-name rel (e2e-get :workspace))))
    (with-temp-buffer (insert-file-contents-literally path) (buffer-string))))

(defmacro e2e-answering (answer &rest body)
  "Run BODY answering the server's questions (`completing-read') with ANSWER, eglot's own with yes."
  (declare (indent 1))
  `(cl-letf (((symbol-function 'completing-read)
              (lambda (prompt collection &rest _)
                (push (list :prompt prompt :choices (vconcat collection)) e2e-asked)
                ,answer))
             ((symbol-function 'y-or-n-p)
              (lambda (prompt)
                (push (list :prompt prompt :choices ["y" "n"]) e2e-eglot-asked)
                t)))
     ,@body))

(defvar e2e-eglot-asked nil "The questions eglot asked itself (y-or-n-p), newest first.")

(defun e2e-run ()
  ;; as a user enables it: commands are off unless the settings turn them on
  (setq e2e-plan (plist-put e2e-plan :initOptions (plist-put (e2e-get :initOptions) :agentRunCommands t)))
  (let ((files (e2e-get :agent :files)))
    (cl-loop for (key text) on files by #'cddr
             do (let ((path (expand-file-name (substring (symbol-name key) 1) (e2e-get :workspace))))
                  (make-directory (file-name-directory path) t)
                  (with-temp-file path (insert text)))))
  (e2e-step :start (e2e-start))
  (unless e2e-server (error "eglot did not start the server"))

  (e2e-step :attach
    (chatls-attach-buffer)
    (chatls-attach-region (point-min) (save-excursion (goto-char (point-min)) (line-end-position)))
    (let ((shown (length e2e-shown)))
      (chatls-attachments)
      (e2e-observe :attachmentsShown (e2e-shown-since shown)))
    (chatls-chat (e2e-get :agent :attachPrompt))
    (e2e-observe :attachResult (e2e-wait-result))
    (e2e-observe :attachmentsAfter (length chatls-attachments)))

  (e2e-step :agent
    (chatls-new-conversation)
    (setq chatls-steps nil)
    (e2e-answering (e2e-get :agent :answer)
      (chatls-agent (e2e-get :agent :prompt))
      (e2e-observe :agentResult (e2e-wait-result)))
    (e2e-observe :asked (vconcat (reverse e2e-asked)))
    (e2e-observe :eglotAsked (vconcat (reverse e2e-eglot-asked)))
    (e2e-observe :steps (vconcat (reverse chatls-steps)))
    (e2e-observe :transcript (with-current-buffer (chatls-transcript-buffer) (e2e-buffer-text)))
    (e2e-observe :disk (list :src/a.py (e2e-disk "src/a.py") :src/b.py (e2e-disk "src/b.py"))))

  (e2e-step :command
    (chatls-new-conversation)
    (setq chatls-steps nil e2e-asked nil)
    (e2e-answering (e2e-get :agent :commandAnswer)
      (chatls-agent (e2e-get :agent :commandPrompt))
      (e2e-observe :commandResult (e2e-wait-result)))
    (e2e-observe :commandAsked (vconcat (reverse e2e-asked)))
    (e2e-observe :commandSteps (vconcat (reverse chatls-steps)))
    (e2e-observe :commandTranscript (with-current-buffer (chatls-transcript-buffer) (e2e-buffer-text)))))

(e2e-step :driver (e2e-run))
(e2e-finish)
;;; eglot_agent.el ends here
