;;; eglot_review.el --- Emacs 28 + eglot 1.9 + chatls.el around a model that thinks for 30 s  -*- lexical-binding: t -*-

;;; Commentary:

;; Improve from M-x eglot-code-actions with a reasoning model that thinks three times longer than eglot's
;; 10 s request timeout: the menu returns at once (the command runs asynchronously), the status keeps
;; coming while Emacs runs other commands, the proposed change opens in a review buffer with its diff,
;; keys typed meanwhile (y, RET, a letter) neither reach the code nor answer the review, and C-c C-c
;; applies it.  Then a second Improve is cancelled with C-g in *chatls* while the model thinks: the request
;; is cancelled upstream and the user reads a sentence, not "[Request with id ... is canceled]".
;; Edits are confirmed, as eglot's default `eglot-confirm-server-initiated-edits' asks.
;; Run by test_editors.py; observes only (see e2e.el).

;;; Code:

(load (expand-file-name "e2e.el" (file-name-directory load-file-name)) nil t)
(add-to-list 'load-path (expand-file-name (e2e-get :pluginDir)))
(require 'chatls)
(setq eglot-confirm-server-initiated-edits 'confirm) ; eglot's default; e2e.el turns it off for the others
(setq e2e-plan (plist-put e2e-plan :initOptions
                          (plist-put (copy-sequence (e2e-get :initOptions)) :defaultProfile "thinker")))
(e2e-record-messages)

(defun e2e-review-buffer ()
  "A buffer holding an unanswered ChatLS review, if any."
  (cl-find-if (lambda (buffer) (buffer-local-value 'chatls--review buffer)) (buffer-list)))

(defun e2e-type (keys)
  "Type KEYS (`kbd' syntax) as the user would: into the selected window's buffer.
Returns that buffer's name.  An error a key signals (\"Buffer is read-only\") is what the user would see."
  (let ((buffer (window-buffer (selected-window))))
    (with-current-buffer buffer
      (dolist (key (listify-key-sequence (kbd keys)))
        (ignore-errors (execute-kbd-macro (vector key)))))
    (buffer-name buffer)))

(defun e2e-run ()
  (e2e-step :start (e2e-start))
  (unless e2e-server (error "eglot did not start the server"))

  (e2e-step :slowImprove
    (let* ((source (e2e-open (e2e-get :files :improve :path)))
           (before (with-current-buffer source (e2e-buffer-text)))
           (started (float-time)))
      (setq chatls-last-result nil)
      (with-current-buffer source
        (e2e-menu (e2e-get :files :improve :range) "chatls.improve"))
      (e2e-observe :menuReturnedAfter (- (float-time) started))
      ;; Emacs runs commands while the model thinks: each keystroke here is executed at once.
      (let ((notes (get-buffer-create "notes")))
        (switch-to-buffer notes)
        (e2e-type "n o t e s")
        (e2e-observe :typedWhileThinking (with-current-buffer notes (e2e-buffer-text))))
      (let ((review (e2e-wait-for #'e2e-review-buffer)))
        (e2e-observe :reviewAfter (- (float-time) started))
        (e2e-observe :statusesBeforeReview (e2e-shown-since 0))
        (unless review (error "no review buffer"))
        (e2e-observe :reviewText (with-current-buffer review (e2e-buffer-text)))
        (e2e-observe :reviewSelected (if (eq (window-buffer (selected-window)) review) t :json-false))
        (let ((shown (length e2e-shown)))
          (e2e-observe :typedInto (e2e-type (e2e-get :typedDuringReview)))
          (e2e-observe :shownWhileTyping (e2e-shown-since shown)))
        (e2e-observe :sourceAfterTyping (with-current-buffer source (e2e-buffer-text)))
        (e2e-observe :sourceUnchangedAfterTyping
                     (if (equal before (with-current-buffer source (e2e-buffer-text))) t :json-false))
        (e2e-observe :reviewOpenAfterTyping (if (buffer-local-value 'chatls--review review) t :json-false))
        (with-current-buffer review (execute-kbd-macro (kbd "C-c C-c"))))
      (e2e-wait-for (lambda () chatls-last-result))
      (e2e-observe :slowImprove (list :result chatls-last-result))
      (e2e-observe :improveBuffer (with-current-buffer source (e2e-buffer-text)))
      (let ((window (get-buffer-window (chatls-transcript-buffer) t)))
        (e2e-observe :transcriptFollows
                     (if (and window (= (window-point window)
                                        (with-current-buffer (chatls-transcript-buffer) (point-max))))
                         t :json-false)))))

  (e2e-step :cancelAction
    (let ((source (e2e-open (e2e-get :files :improve :path)))
          (shown (length e2e-shown)))
      (setq chatls-last-result nil)
      (with-current-buffer source
        (e2e-menu (e2e-get :files :improve :range) "chatls.improve"))
      (e2e-wait-for (lambda () (and chatls-status (string-prefix-p "thinking" chatls-status))))
      ;; C-g in *chatls*: the command the key runs there (a C-g in a keyboard macro would quit the driver).
      (with-current-buffer (chatls-transcript-buffer)
        (let ((command (key-binding (kbd "C-g"))))
          (e2e-observe :cancelKeyRan (symbol-name command))
          (call-interactively command)))
      (e2e-observe :cancelReturned (if chatls--pending :json-false t))
      (e2e-wait-for (lambda () (cl-some (lambda (m) (string-prefix-p "ChatLS: Cancelled" m))
                                        (e2e-shown-since shown)))
                    20)
      (e2e-observe :cancelShown (e2e-shown-since shown))
      (e2e-observe :transcriptAfterCancel
                   (with-current-buffer (chatls-transcript-buffer) (e2e-buffer-text))))))

(e2e-step :driver (e2e-run))
(e2e-finish)

;;; eglot_review.el ends here
